// Plays one fault schedule against a fresh world (simulator, production, staging, control
// database behind a TCP proxy) with real CLI processes, drains the run with clean ticks, and
// checks the design's invariants plus what each process printed; then, for a schedule with a
// rollback phase, rolls back (disrupted in turn), drains again and checks again. Returns the violations and
// which faults actually fired (for the sweep's "sometimes" coverage).
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { forkNameFor } from '../../machines/refresh.js';
import { adminQuery, serverUrl } from '../support/databases.js';
import { checkInvariants, checkPreviousInvariants } from '../support/invariants.js';
import { onceCron } from '../support/pipeline.js';
import { createWorld, readControl, spawnCli, type CliResult, type World } from '../support/world.js';
import { proxiedControl } from './control.js';
import type { TcpProxy } from './proxy.js';
import { describeSchedule, type ControlOutage, type Launch, type RollbackPhase, type Schedule } from './schedule.js';

/** A launch's processes are SIGKILLed after this long, as a scheduler's one-off dyno would be. */
const LAUNCH_LIMIT_MS = 25_000;
/** Lease TTL in the world (1.5 s) plus margin: after this, a cut-off runner must have stopped mutating. */
const OUTAGE_GRACE_MS = 2_500;
const DRAIN_TRIES = 8;

export interface ChaosResult {
  seed: number;
  description: string;
  violations: string[];
  status: string | null;
  /** Coverage tags: which faults actually happened in this schedule. */
  fired: string[];
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Started {
  child: ChildProcess;
  done: Promise<CliResult>;
  label: string;
  /** Set when the harness itself hard-killed it after LAUNCH_LIMIT_MS. */
  overran: boolean;
  termSentAt: number | null;
  startedAt: number;
}

class ScheduleRun {
  readonly violations: string[] = [];
  readonly fired = new Set<string>();
  readonly results: Array<{ label: string; result: CliResult; outage: boolean; startedAt: number; endedAt: number }> = [];
  /** Every refork process this schedule started, by pid: which one started each run. */
  readonly processes = new Map<number, { label: string; command: string }>();
  private outageActive = false;
  private outageTouchedLaunch = false;
  private forkCutsLeft: number;
  private finished = false;

  constructor(
    readonly schedule: Schedule,
    readonly world: World,
    readonly proxy: TcpProxy,
  ) {
    this.forkCutsLeft = schedule.forkCuts;
  }

  private env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...this.world.env, REFORK_DATABASE_URL: this.proxy.url(this.world.control.url), ...extra };
  }

  private start(args: string[], label: string, extra: NodeJS.ProcessEnv = {}, limitMs = LAUNCH_LIMIT_MS): Started {
    const spawned = spawnCli(args, this.env(extra), { killAfterMs: limitMs + 60_000 });
    const started: Started = { child: spawned.child, done: spawned.done, label, overran: false, termSentAt: null, startedAt: Date.now() };
    if (spawned.child.pid !== undefined) this.processes.set(spawned.child.pid, { label, command: args[0] ?? '' });
    const limit = setTimeout(() => {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        started.overran = true;
        spawned.child.kill('SIGCONT');
        spawned.child.kill('SIGKILL');
      }
    }, limitMs);
    void spawned.done.then((result) => {
      clearTimeout(limit);
      this.world.output.push(result.stdout, result.stderr);
    });
    return started;
  }

  private async anyRun(): Promise<boolean> {
    return (await readControl(this.world, 'SELECT 1 FROM refork_runs LIMIT 1')).length > 0;
  }

  private async anyActiveRun(): Promise<boolean> {
    return (await readControl(this.world, "SELECT 1 FROM refork_runs WHERE status = 'active' LIMIT 1")).length > 0;
  }

  async launch(index: number, drawn: Launch): Promise<void> {
    // Once the run has finished, a launch can only find nothing to do: one scheduler tick checks
    // that (it starts nothing and prints at most a line); racers and disruptions of idle
    // processes would only cost time. A control-database outage drawn for it still happens.
    const finished = (await this.anyRun()) && !(await this.anyActiveRun());
    const launch: Launch = finished ? { command: 'tick', racers: 1, disruption: { kind: 'none' } } : drawn;
    if (finished) this.fired.add('idleLaunch');
    // `run` on a finished pipeline would start a second refresh: once a run exists, resume only.
    const command = launch.command === 'run' && (await this.anyRun()) ? 'tick' : launch.command;
    const args = command === 'run' ? ['run', 'staging'] : command === 'worker' ? ['worker', '--interval-seconds', '1'] : ['tick'];
    const workForMs = command === 'worker' ? (launch.workForMs ?? 5_000) : 0;
    const { disruption } = launch;
    const children: Started[] = [];
    for (let r = 0; r < launch.racers; r++) {
      const extra = r === 0 && disruption.kind === 'crashAt' ? { REFORK_CRASH_AT: disruption.point } : {};
      children.push(this.start(args, `launch ${index} ${command} #${r}`, extra, LAUNCH_LIMIT_MS + workForMs));
    }
    if (command === 'worker') this.fired.add('workers');
    const [first] = children;
    if (!first) return;
    const alive = () => first.child.exitCode === null && first.child.signalCode === null;
    const tasks: Promise<unknown>[] = children.map((c) => c.done);

    if (disruption.kind === 'kill' || disruption.kind === 'term') {
      tasks.push(
        sleep(disruption.afterMs).then(() => {
          if (!alive()) return;
          if (disruption.kind === 'term') first.termSentAt = Date.now();
          first.child.kill(disruption.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
          this.fired.add(disruption.kind);
        }),
      );
    }
    if (disruption.kind === 'pause') {
      tasks.push(
        (async () => {
          await sleep(disruption.afterMs);
          if (!alive()) return;
          first.child.kill('SIGSTOP');
          this.fired.add('pause');
          // Past the lease TTL, another runner may take the run over while this one is frozen.
          await sleep(1_800);
          const takeover = this.start(['tick'], `launch ${index} takeover`);
          children.push(takeover);
          await sleep(Math.max(0, disruption.forMs - 1_800));
          first.child.kill('SIGCONT');
          await takeover.done;
        })(),
      );
    }
    const outage = this.schedule.outage;
    if (outage && outage.launch === index) tasks.push(this.outage(outage));
    if (command === 'worker') tasks.push(this.stopWorkers(children, workForMs));

    await Promise.all(tasks);
    await Promise.all(children.map((c) => c.done));
    for (const child of children) this.judge(child, await child.done);
    if (disruption.kind === 'crashAt' && (await first.done).signal === 'SIGKILL' && !first.overran) {
      this.fired.add('crashAt');
      if (/aintenance/.test(disruption.point)) this.fired.add('crashAt:maintenance');
    }
    if (launch.racers > 1) this.fired.add('race');
  }

  /**
   * Workers never exit on their own: after `workForMs`, or as soon as the run has ended, each
   * one still alive gets SIGTERM (SIGCONT first, should it be frozen) and must exit cleanly.
   */
  private async stopWorkers(workers: Started[], workForMs: number): Promise<void> {
    const until = Date.now() + workForMs;
    while (Date.now() < until && ((await this.anyActiveRun().catch(() => true)) || !(await this.anyRun().catch(() => false)))) {
      await sleep(200);
    }
    for (const worker of workers) {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
      worker.termSentAt = Date.now();
      worker.child.kill('SIGCONT');
      worker.child.kill('SIGTERM');
    }
  }

  /** Takes the control database away, checks no Heroku mutation starts while it is gone, brings it back. */
  private async outage(outage: ControlOutage): Promise<void> {
    await sleep(outage.afterMs);
    this.proxy.set(outage.mode);
    this.outageActive = true;
    this.outageTouchedLaunch = true;
    this.fired.add(`outage:${outage.mode}`);
    const graceEnds = Math.min(OUTAGE_GRACE_MS, outage.forMs);
    await sleep(graceEnds);
    const from = this.world.sim.requests.length;
    await sleep(outage.forMs - graceEnds);
    const during = this.world.sim.requests.slice(from).filter((r) => r.method !== 'GET');
    for (const request of during) {
      this.violations.push(`Heroku mutation ${request.method} ${request.path} while the control database was down (${outage.mode})`);
    }
    this.proxy.set('up', { resetHeld: outage.heal === 'reset' });
    this.outageActive = false;
  }

  /**
   * Every process ends with at most one line of its own (logs are JSON lines on stderr); a
   * successful `refork rollback` prints two: the run's end, and what it kept.
   */
  private judge(started: Started, result: CliResult, maxLines = 1): void {
    this.results.push({
      label: started.label,
      result,
      outage: this.outageTouchedLaunch,
      startedAt: started.startedAt,
      endedAt: Date.now(),
    });
    const plainErr = result.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    const out = result.stdout.split('\n').filter((l) => l.trim());
    if (plainErr.length + out.length > maxLines)
      this.violations.push(
        `${started.label} printed ${plainErr.length + out.length} lines: ${[...out, ...plainErr].join(' | ').slice(0, 400)}`,
      );
    for (const line of plainErr) {
      // Without its control database refork may fail (one line, non-zero), never crash otherwise.
      const expected = /^refork: /.test(line) && this.outageTouchedLaunch;
      if (!expected) this.violations.push(`${started.label}: unexpected error output: ${line.slice(0, 300)}`);
    }
    if (started.termSentAt !== null) {
      if (started.overran) this.violations.push(`${started.label} did not stop within ${LAUNCH_LIMIT_MS} ms of SIGTERM`);
      else if (result.signal === null && result.code === 0) this.fired.add('term:clean-exit');
      // A worker told to stop (and not otherwise disrupted) hands its runs back and exits 0.
      else if (/ worker #/.test(started.label) && result.signal === null && !this.outageTouchedLaunch)
        this.violations.push(`${started.label} exited ${result.code} after SIGTERM`);
    }
  }

  /** Terminates the fork's database sessions whenever the run is seen anonymizing or verifying. */
  async watchForkCuts(): Promise<void> {
    if (this.forkCutsLeft <= 0) return;
    // One session for the whole watch: a fresh connection every 15 ms would cost the seed
    // (and the seeds beside it) more CPU than the run it watches.
    let watcher: pg.Client | null = null;
    const activeStates = async (): Promise<string[]> => {
      try {
        if (!watcher) {
          const client = new pg.Client({ connectionString: this.world.control.url });
          client.on('error', () => undefined);
          await client.connect();
          watcher = client;
        }
        const result = await watcher.query<{ state: string }>("SELECT state FROM refork_runs WHERE status = 'active'");
        return result.rows.map((r) => r.state);
      } catch {
        const broken = watcher;
        watcher = null;
        await broken?.end().catch(() => undefined);
        return [];
      }
    };
    try {
      await this.cutForkConnections(activeStates);
    } finally {
      await (watcher as pg.Client | null)?.end().catch(() => undefined);
    }
  }

  private async cutForkConnections(activeStates: () => Promise<string[]>): Promise<void> {
    while (this.forkCutsLeft > 0 && !this.finished) {
      const states = await activeStates();
      const cutting = states.find((state) => state === 'anonymizing' || state === 'fixingUp' || state === 'verifying');
      if (cutting) {
        const fork = this.world.sim
          .addons(this.world.forkApp)
          .find((a) => a.name.startsWith('refork-') && a.name !== this.world.oldStagingAddon);
        if (fork) {
          const cut = await adminQuery(
            serverUrl(),
            'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [fork.databaseName],
          ).catch(() => null);
          if (cut && Number(cut.rows[0]?.n) > 0) {
            this.forkCutsLeft -= 1;
            this.fired.add('forkCut');
            this.fired.add(`forkCut:${cutting}`);
            await sleep(300);
            continue;
          }
        }
      }
      await sleep(15);
    }
  }

  /** Clean ticks (faults cleared, database back) until no run is active. */
  async drain(): Promise<void> {
    this.proxy.set('up');
    this.world.sim.faults.clear();
    for (let i = 0; i < DRAIN_TRIES; i++) {
      await leaseFree(this.world);
      const active = await readControl(this.world, "SELECT 1 FROM refork_runs WHERE status = 'active'");
      if (active.length === 0 && (await this.anyRun())) return;
      const tick = this.start(['tick'], `drain ${i}`);
      this.judge(tick, await tick.done);
    }
    this.violations.push(`run still active after ${DRAIN_TRIES} clean ticks`);
  }

  /**
   * `refork rollback staging` as an operator types it, with the phase's disruption, then clean
   * ticks until it has ended (they resume a rollback as they resume a refresh). A rollback
   * killed before its run existed is typed again, as its operator would.
   */
  async rollback(phase: RollbackPhase): Promise<void> {
    const { disruption } = phase;
    const children: Started[] = [];
    for (let r = 0; r < phase.racers; r++) {
      const extra = r === 0 && disruption.kind === 'crashAt' ? { REFORK_CRASH_AT: disruption.point } : {};
      children.push(this.start(['rollback', 'staging'], `rollback #${r}`, extra));
    }
    const [first] = children;
    if (!first) return;
    const tasks: Promise<unknown>[] = children.map((c) => c.done);
    if (disruption.kind === 'kill' || disruption.kind === 'term') {
      tasks.push(
        sleep(disruption.afterMs).then(() => {
          if (first.child.exitCode !== null || first.child.signalCode !== null) return;
          if (disruption.kind === 'term') first.termSentAt = Date.now();
          first.child.kill(disruption.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
          this.fired.add(`${disruption.kind}:rollback`);
        }),
      );
    }
    await Promise.all(tasks);
    for (const child of children) this.judge(child, await child.done, 2);
    if (disruption.kind === 'crashAt' && (await first.done).signal === 'SIGKILL' && !first.overran) {
      this.fired.add('crashAt:rollback');
      if (/aintenance/.test(disruption.point)) this.fired.add('crashAt:rollback:maintenance');
    }
    if (phase.racers > 1) this.fired.add('race:rollback');
    await this.drain();
    if ((await readControl(this.world, "SELECT 1 FROM refork_runs WHERE kind = 'rollback'")).length === 0) {
      this.fired.add('rollback:typedAgain');
      const again = this.start(['rollback', 'staging'], 'rollback again');
      this.judge(again, await again.done, 2);
      await this.drain();
    }
    this.fired.add('rollback');
  }

  stop(): void {
    this.finished = true;
  }
}

export interface RunRow {
  id: string;
  /** `refresh` when absent. */
  kind?: string;
  status: string;
  error: string | null;
  starter: string | null;
  started_event: number | null;
  finished_event: number | null;
}

/**
 * Runs never overlap. One refresh per schedule, with one exception: a `refork run` launched together with the
 * first run (the harness turns later `run` launches into `tick`s) that was frozen or slow
 * before it started anything, and so reached `startRun` only after that run had finished.
 * Starting a fresh refresh then is what `refork run` means ("start a refresh now if none is
 * active"), exactly as if it had been launched later. So a second run is allowed only if it
 * began after the previous one finished (never two active at once) and was started by a
 * `refork run` process; a tick (the pipeline is due once) or a drain never starts another.
 * Every rollback run was started by a `refork rollback` process.
 */
export function sequentialRuns(runs: RunRow[], processes: ReadonlyMap<number, { label: string; command: string }>): string[] {
  const violations: string[] = [];
  for (const [i, current] of runs.entries()) {
    const previous = runs[i - 1];
    if (!previous) continue;
    if (previous.finished_event === null || current.started_event === null || current.started_event < previous.finished_event) {
      violations.push(`run ${i + 1} of ${runs.length} (${current.id}) started while run ${i} (${previous.id}) was still active`);
    }
    const pid = Number(current.starter?.split(':').at(-2));
    const starter = processes.get(pid);
    const rollback = current.kind === 'rollback';
    if (starter?.command !== (rollback ? 'rollback' : 'run')) {
      const expected = rollback ? 'a `refork rollback`' : 'a `refork run` launched before the first run existed';
      violations.push(
        `${runs.length} runs recorded: run ${i + 1} (${current.id}) was started by ${starter?.label ?? current.starter ?? 'nobody known'}, not by ${expected}`,
      );
    }
  }
  return violations;
}

/** The schedule's runs with the facts `sequentialRuns` compares, in the order they started. */
async function runRows(world: World): Promise<RunRow[]> {
  return readControl<RunRow>(
    world,
    // Event ids (one sequence for the whole table) order a run's start against another's end.
    `SELECT r.id, r.kind, r.status, r.error, s.detail->>'owner' AS starter, s.id::int AS started_event,
            (SELECT min(f.id)::int FROM refork_run_events f
              WHERE f.run_id = r.id AND f.to_state IN ('succeeded', 'failed', 'aborted')) AS finished_event
       FROM refork_runs r LEFT JOIN refork_run_events s ON s.run_id = r.id AND s.type = 'run.started'
      ORDER BY s.id, r.created_at`,
  );
}

const stagingDatabase = (world: World) =>
  world.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name ?? null;

/**
 * After the rollback phase: every rollback run succeeded; staging's DATABASE is the database
 * kept before it (or, after an even number of rollbacks, the refresh's fork again: a racer that
 * started once the first had ended rolled forward, as `refork rollback` does); the other one is
 * kept as keep_previous says (alive, under REFORK_PREVIOUS, recorded `kept`); and the invariants.
 */
async function checkRollback(world: World, before: { kept: string; fork: string }, runs: RunRow[]): Promise<string[]> {
  const violations: string[] = [];
  const rollbacks = runs.filter((run) => run.kind === 'rollback');
  if (rollbacks.length === 0) violations.push('no rollback run recorded');
  for (const run of rollbacks)
    if (run.status !== 'succeeded') violations.push(`rollback run ${run.id} ended ${run.status}: ${run.error ?? ''}`);
  const [database, other] = rollbacks.length % 2 === 1 ? [before.kept, before.fork] : [before.fork, before.kept];
  const now = stagingDatabase(world);
  if (now !== database) violations.push(`after ${rollbacks.length} rollback(s) DATABASE is ${now ?? 'nothing'}, not ${database}`);
  const aliases = world.sim.attachments('acme-staging').filter((a) => a.name === 'REFORK_PREVIOUS');
  if (aliases.length !== 1 || aliases[0]?.addon.name !== other)
    violations.push(`REFORK_PREVIOUS is ${aliases.map((a) => a.addon.name).join(', ') || 'nothing'}, not ${other}`);
  const kept = await readControl<{ addon_name: string }>(
    world,
    "SELECT addon_name FROM refork_previous_databases WHERE state IN ('kept', 'restoring', 'destroying')",
  );
  if (kept.length !== 1 || kept[0]?.addon_name !== other)
    violations.push(`the records keep ${kept.map((row) => row.addon_name).join(', ') || 'nothing'}, not ${other}`);
  return violations;
}

/** 'status 503' → '5xx', 'status 429' → '429', else the kind itself. */
function faultTag(fault: string): string {
  const status = /^status (\d+)$/.exec(fault)?.[1];
  if (!status) return fault;
  return status === '429' ? '429' : `${status[0]}xx`;
}

async function leaseFree(world: World): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const held = await readControl(world, "SELECT 1 FROM refork_runs WHERE status = 'active' AND lease_expires_at > now()");
    if (held.length === 0) return;
    await sleep(50);
  }
}

export async function runSchedule(schedule: Schedule): Promise<ChaosResult> {
  const began = Date.now();
  const world = await createWorld({
    provisionDelayMs: schedule.provisionDelayMs,
    customers: schedule.forkCuts ? 3000 : 200,
    pipeline: { schedule: onceCron(), timezone: 'UTC', ...(schedule.keepPrevious ? { keep_previous: '24h' } : {}) },
    forkApp: schedule.forkApp !== 'none',
    previousFork: schedule.forkApp === 'steady',
    maintenance: schedule.maintenance,
    fixups: schedule.fixups,
  });
  const { proxy } = await proxiedControl(world);
  const run = new ScheduleRun(schedule, world, proxy);
  let status: string | null = null;
  let cuts: Promise<void> = Promise.resolve();
  try {
    for (const fault of schedule.faults) {
      world.sim.faults.add({
        ...(fault.method ? { method: fault.method } : {}),
        path: new RegExp(fault.path),
        times: fault.times,
        kind: fault.kind,
      });
    }
    if (schedule.forkFails) world.sim.failNextFork({ message: 'chaos: the fork failed' });
    cuts = run.watchForkCuts();
    for (const [index, launch] of schedule.launches.entries()) await run.launch(index, launch);
    await run.drain();
    run.stop();
    await cuts;

    for (const request of world.sim.requests) if (request.fault) run.fired.add(`heroku:${faultTag(request.fault)}`);
    const forkFailed = world.sim.events.some((e) => e.type === 'addon.failed');
    if (forkFailed) run.fired.add('forkFailed');
    const runs = await runRows(world);
    const last = runs.at(-1);
    status = last?.status ?? null;
    // A failed fork must fail the run it belongs to; otherwise the run must succeed.
    const lastForkFailed =
      !!last && world.sim.events.some((e) => e.type === 'addon.failed' && e.addon?.name === forkNameFor('staging', last.id));
    const expected = lastForkFailed ? 'failed' : 'succeeded';
    const report = await checkInvariants(world, { status: expected });
    run.violations.push(...report.violations);
    if (schedule.keepPrevious) {
      run.violations.push(...(await checkPreviousInvariants(world)));
      run.fired.add('keepPrevious');
    }
    run.violations.push(...sequentialRuns(runs, run.processes));
    if (runs.length > 1) run.fired.add('rerun');
    if (schedule.forkApp !== 'none') run.fired.add(`forkApp:${schedule.forkApp}`);
    if (schedule.maintenance && world.sim.events.some((e) => e.type === 'app.updated')) run.fired.add('maintenance');
    if (schedule.fixups) run.fired.add('fixups');
    if (status === 'succeeded') run.fired.add('status:succeeded');
    if (status === 'failed') run.fired.add('status:failed');
    if (status !== expected) run.violations.push(`last run error: ${runs.at(-1)?.error ?? 'none'}`);

    if (schedule.rollback && status === 'succeeded' && expected === 'succeeded') {
      const kept = await readControl<{ addon_name: string }>(
        world,
        "SELECT addon_name FROM refork_previous_databases WHERE state = 'kept'",
      );
      const before = { kept: kept[0]?.addon_name ?? '', fork: stagingDatabase(world) ?? '' };
      await run.rollback(schedule.rollback);
      const all = await runRows(world);
      run.violations.push(...(await checkRollback(world, before, all)));
      run.violations.push(...(await checkInvariants(world, { status: 'succeeded' })).violations);
      run.violations.push(...(await checkPreviousInvariants(world)));
      run.violations.push(...sequentialRuns(all, run.processes));
    }
    // CHAOS_DEBUG_DIR: a failing seed leaves every process's output, the control tables and the simulator's log behind.
    if ((run.violations.length || process.env.CHAOS_DEBUG_ALL) && process.env.CHAOS_DEBUG_DIR)
      await dumpDebug(process.env.CHAOS_DEBUG_DIR, schedule, world, run).catch(() => undefined);
  } catch (error) {
    run.violations.push(`harness error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    run.stop();
    await cuts;
    await proxy.close();
    try {
      await world.close();
    } catch (error) {
      run.violations.push(`world close: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    seed: schedule.seed,
    description: describeSchedule(schedule),
    // The refresh's invariants are checked again after a rollback: each violation once.
    violations: [...new Set(run.violations)],
    status,
    fired: [...run.fired].sort(),
    ms: Date.now() - began,
  };
}

async function dumpDebug(dir: string, schedule: Schedule, world: World, run: ScheduleRun): Promise<void> {
  const runs = await readControl(
    world,
    'SELECT id, status, state, error, lease_owner, created_at, finished_at FROM refork_runs ORDER BY created_at',
  );
  const events = await readControl(world, 'SELECT * FROM refork_run_events ORDER BY id');
  const processes = run.results
    .map(
      ({ label, result, startedAt, endedAt }) =>
        `=== ${label} (code ${result.code}, signal ${result.signal}, ${new Date(startedAt).toISOString()} → ${new Date(endedAt).toISOString()})\n${result.stdout}\n${result.stderr}`,
    )
    .join('\n');
  const text = [
    describeSchedule(schedule),
    '--- violations',
    ...run.violations,
    '--- runs',
    JSON.stringify(runs, null, 1),
    '--- events',
    ...events.map((e) => JSON.stringify(e)),
    '--- sim requests',
    ...world.sim.requests.map((r) => JSON.stringify(r)),
    '--- sim events',
    ...world.sim.events.map((e) => JSON.stringify(e)),
    '--- processes',
    processes,
  ].join('\n');
  await writeFile(join(dir, `seed-${schedule.seed}.log`), text);
}

// `refork worker` and `refork tick`: take whatever is due, across every pipeline, side by side.
// Each turn of the loop starts the runs that schedules make due, claims the runs that are due
// and free (heavy steps only up to the free heavy slots), hands each claim to a task of its
// own, and sleeps until the soonest due time, a task's end, or a look at the table for new
// work. Several processes do this at once safely: a claim is a fenced lease taken with
// FOR UPDATE SKIP LOCKED, so the control database is the only coordinator.
import { performance } from 'node:perf_hooks';
import { STEPS } from '../../machines/refresh.js';
import { sleepReal } from '../clock.js';
import type { PipelineConfig } from '../config/pipeline.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from '../notify/outbox.js';
import type { ClaimedRun, ControlStore } from '../store/types.js';
import { workClaim, type RunOutcome } from './claimed-run.js';
import { duePipelines } from './due-pipelines.js';
import { scheduleTrigger, startAndWork, type RunnerDeps } from './run-pipeline.js';
import { Slots, type Limits } from './slots.js';

export interface ServeDeps {
  store: ControlStore;
  logger: Logger;
  owner: string;
  leaseTtlMs: number;
  /** Notices owed by any run: one a dead process took and did not mark sent, one a webhook refused. */
  outbox: Outbox;
  /** The runner's deps for one pipeline (its effects carry its rules). */
  depsFor(pipeline: PipelineConfig): RunnerDeps;
  /** Work done at each beat besides runs (the rollback window's expiry); it logs its own failures, retried at the next beat. */
  beat?: (pipelines: string[], shutdown: AbortSignal) => Promise<void>;
}

export interface ServeOptions {
  pipelines: PipelineConfig[];
  /** Wall-clock epoch ms after which no new step starts (a tick's budget); null: until shutdown. */
  deadline: number | null;
  shutdown: AbortSignal;
  limits: Limits;
  /** Longest sleep between looks at the control table (new schedules, abort requests, dead workers' runs). */
  idleMs: number;
  /** `tick`: return once no free run is due before the deadline. `worker`: serve until shutdown. */
  untilIdle: boolean;
  /** Every claim's outcome as it ends (the worker logs them). */
  onOutcome?: (pipeline: string, outcome: RunOutcome) => void;
}

export interface ServeReport {
  /** The last outcome of each pipeline this process worked on, and `busy` for runs others held. */
  outcomes: Map<string, RunOutcome>;
  /**
   * Failures that nothing later made good: of the control database (pipeline null) or of one
   * claim (a write that failed, a snapshot this version cannot restore). The run is left for the next claim.
   */
  errors: Array<{ pipeline: string | null; error: unknown }>;
}

/** States whose step is heavy, from the machine's own table. */
const HEAVY_STATES = Object.entries(STEPS)
  .filter(([, step]) => step.heavy)
  .map(([state]) => state);

/** The shortest pause when something is due that this process cannot take yet (its slots are full). */
const MIN_PAUSE_MS = 250;
/** Schedules (and owed notices) are read at most this often. */
const SCHEDULE_EVERY_MS = 5_000;

export async function serve(deps: ServeDeps, options: ServeOptions): Promise<ServeReport> {
  const { store, logger } = deps;
  const byName = new Map(options.pipelines.map((pipeline) => [pipeline.name, pipeline]));
  const names = [...byName.keys()];
  const slots = new Slots(options.limits);
  const tasks = new Set<Promise<void>>();
  const report: ServeReport = { outcomes: new Map(), errors: [] };
  let wake = new AbortController();
  let scheduleReadAt = Number.NEGATIVE_INFINITY;
  let outboxReadAt = Number.NEGATIVE_INFINITY;
  const delivery: { running: Promise<void> | null } = { running: null };
  let beatAt = Number.NEGATIVE_INFINITY;

  const pastDeadline = () => options.deadline !== null && Date.now() >= options.deadline;

  const launch = (pipeline: PipelineConfig, heavy: boolean, work: (slot: ReturnType<Slots['heavySlot']>) => Promise<RunOutcome>) => {
    const slot = slots.heavySlot(heavy);
    const task = (async () => {
      try {
        const outcome = await work(slot);
        if (outcome.kind !== 'busy' || !report.outcomes.has(pipeline.name)) report.outcomes.set(pipeline.name, outcome);
        // What went wrong before and was then made good is not this process's failure.
        report.errors = report.errors.filter((failure) => failure.pipeline !== null && failure.pipeline !== pipeline.name);
        options.onOutcome?.(pipeline.name, outcome);
      } catch (error) {
        report.errors.push({ pipeline: pipeline.name, error });
        logger.error('run failed to advance', { pipeline: pipeline.name, error: error instanceof Error ? error.message : String(error) });
      } finally {
        slot.leave();
        slots.releaseRun();
      }
    })();
    tasks.add(task);
    void task.then(() => {
      tasks.delete(task);
      wake.abort();
    });
  };

  const claimOptions = (slot: ReturnType<Slots['heavySlot']>) => ({ deadline: options.deadline, shutdown: options.shutdown, heavy: slot });

  const startScheduled = async () => {
    if (performance.now() - scheduleReadAt < SCHEDULE_EVERY_MS) return;
    scheduleReadAt = performance.now();
    for (const pipeline of await duePipelines(store, options.pipelines)) {
      if (!slots.takeRun()) return;
      const trigger = pipeline.schedule ? scheduleTrigger(pipeline.schedule, options.untilIdle ? 'tick' : 'worker') : undefined;
      launch(pipeline, false, (slot) => startAndWork(deps.depsFor(pipeline), pipeline, claimOptions(slot), trigger));
    }
  };

  // Beside the runs, never in their way: a slow webhook delays no claim.
  const deliverOwed = () => {
    if (delivery.running || performance.now() - outboxReadAt < SCHEDULE_EVERY_MS) return;
    outboxReadAt = performance.now();
    delivery.running = deps.outbox
      .deliver()
      .then(
        () => undefined,
        (error: unknown) => {
          logger.warn('owed notifications not sent', { error: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => {
        delivery.running = null;
      });
  };

  const beat = async () => {
    if (!deps.beat || performance.now() - beatAt < SCHEDULE_EVERY_MS) return;
    beatAt = performance.now();
    try {
      await deps.beat(names, options.shutdown);
    } catch (error) {
      logger.warn('beat failed; tried again at the next one', { error: error instanceof Error ? error.message : String(error) });
    }
  };

  const claim = async (heavy: boolean, limit: number): Promise<number> => {
    if (limit <= 0) return 0;
    const acquiredAt = performance.now();
    const claimed: ClaimedRun[] = await store.claimDue({
      owner: deps.owner,
      leaseTtlMs: deps.leaseTtlMs,
      pipelines: names,
      states: { only: heavy ? 'these' : 'others', names: HEAVY_STATES },
      limit,
    });
    for (const { run, lease, previousOwner } of claimed) {
      const pipeline = byName.get(run.pipeline);
      slots.takeRun();
      if (!pipeline) continue; // cannot happen: claims are limited to `names`
      launch(pipeline, heavy, (slot) => workClaim(deps.depsFor(pipeline), { run, lease, acquiredAt, previousOwner }, claimOptions(slot)));
    }
    return claimed.length;
  };

  while (!options.shutdown.aborted && !pastDeadline()) {
    wake = new AbortController();
    let claimed = 0;
    let nextDue: number | null = null;
    try {
      deliverOwed();
      await startScheduled();
      await beat();
      claimed += await claim(true, Math.min(slots.freeHeavy, slots.freeRuns));
      claimed += await claim(false, slots.freeRuns);
      nextDue = await store.nextDueInMs(names, { includeLeased: !options.untilIdle });
    } catch (error) {
      // The control database is away: say so once per turn and look again later.
      report.errors.push({ pipeline: null, error });
      logger.error('control database unavailable', { error: error instanceof Error ? error.message : String(error) });
      if (options.untilIdle) break;
    }
    if (options.untilIdle && tasks.size === 0 && claimed === 0) {
      const free = nextDue ?? Number.POSITIVE_INFINITY;
      if (options.deadline === null || Date.now() + free >= options.deadline) break;
    }
    const untilDue = nextDue === null ? options.idleMs : claimed > 0 ? nextDue : Math.max(nextDue, MIN_PAUSE_MS);
    const untilDeadline = options.deadline === null ? Number.POSITIVE_INFINITY : options.deadline - Date.now();
    await sleepReal(Math.min(options.idleMs, untilDue, untilDeadline), AbortSignal.any([options.shutdown, wake.signal]));
  }
  // On shutdown the tasks see the same signal: each abandons its step and hands its run back.
  await Promise.allSettled([...tasks, delivery.running]);
  if (options.untilIdle) await reportBusy(deps, names, report);
  return report;
}

/** For `tick`'s report: runs this process left alone because another one holds them. */
async function reportBusy(deps: ServeDeps, names: string[], report: ServeReport): Promise<void> {
  try {
    const active = await deps.store.listRuns({ status: 'active', limit: Math.max(1, names.length * 2) });
    const now = await deps.store.now();
    for (const run of active) {
      if (!names.includes(run.pipeline) || report.outcomes.has(run.pipeline)) continue;
      if (run.leaseExpiresAt && run.leaseExpiresAt > now)
        report.outcomes.set(run.pipeline, { kind: 'busy', runId: run.id, owner: run.leaseOwner, until: run.leaseExpiresAt });
    }
  } catch (error) {
    report.errors.push({ pipeline: null, error });
  }
}

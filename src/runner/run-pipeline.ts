// Starting a run, and `refork run` / `refork abort` / the demo: one pipeline's run driven in
// the foreground. Between steps that are due later the run is handed back to the control
// table like any other (another worker may take it); this process sleeps until it is due again.
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import { initialTransition } from 'xstate';
import { refreshMachine, type RefreshInput, type RetryPolicy } from '../../machines/refresh.js';
import { rollbackMachine, type RollbackInput } from '../../machines/rollback.js';
import { sleepReal } from '../clock.js';
import type { PipelineConfig } from '../config/pipeline.js';
import type { RunTrigger } from '../store/types.js';
import { workClaim, type ClaimDeps, type ClaimOptions, type RunOutcome } from './claimed-run.js';
import type { RunKind } from '../store/types.js';
import { MACHINES, persist, stateOf, type RunSnapshot } from './snapshot.js';

export type { RunOutcome } from './claimed-run.js';

export interface RunRequest {
  /** `start`: begin a run now if none is active; `resume`: only continue an interrupted one. */
  start: boolean;
  /** Wall-clock epoch ms after which no new step starts; null runs to the end. */
  deadline: number | null;
  shutdown: AbortSignal;
  /** Who asked, for the run's record when a run is started (default: `refork run`). */
  trigger?: RunTrigger;
}

/** The command that starts a run, with the account that ran it (unknown on some hosts). */
export function commandTrigger(command: string): RunTrigger {
  const user = osUser();
  return { kind: 'command', command, ...(user ? { user } : {}) };
}

/** A schedule's run, started by a tick or a worker. */
export function scheduleTrigger(schedule: { cron: string; timezone: string }, by: 'tick' | 'worker'): RunTrigger {
  const user = osUser();
  return { kind: 'schedule', cron: schedule.cron, timezone: schedule.timezone, by, ...(user ? { user } : {}) };
}

function osUser(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export function defaultOwner(): string {
  return `${process.env.DYNO ?? hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function refreshInput(pipeline: PipelineConfig, runId: string, retry: Omit<RetryPolicy, 'windowMinutes'>): RefreshInput {
  return {
    runId,
    pipeline: pipeline.name,
    sourceApp: pipeline.source.app,
    sourceDatabase: pipeline.source.database,
    targetApp: pipeline.target.app,
    forkApp: pipeline.forkApp,
    plan: pipeline.plan,
    fast: pipeline.fast,
    maxWaitMinutes: pipeline.maxWaitMinutes,
    retry: { ...retry, windowMinutes: pipeline.retryWindowMinutes },
    maintenanceMode: pipeline.maintenance,
    keepPreviousMs: pipeline.keepPreviousMs,
  };
}

export function rollbackInput(pipeline: PipelineConfig, runId: string, retry: Omit<RetryPolicy, 'windowMinutes'>): RollbackInput {
  return {
    runId,
    pipeline: pipeline.name,
    targetApp: pipeline.target.app,
    forkApp: pipeline.forkApp,
    keepPreviousMs: pipeline.keepPreviousMs,
    retry: { ...retry, windowMinutes: pipeline.retryWindowMinutes },
    maintenanceMode: pipeline.maintenance,
  };
}

function initialSnapshot(kind: RunKind, pipeline: PipelineConfig, runId: string, retry: Omit<RetryPolicy, 'windowMinutes'>): RunSnapshot {
  if (kind === 'rollback') return initialTransition(rollbackMachine, rollbackInput(pipeline, runId, retry))[0];
  return initialTransition(refreshMachine, refreshInput(pipeline, runId, retry))[0];
}

/** What the runner needs for one pipeline: a claim's deps, and the retry pace new runs start with. */
export interface RunnerDeps extends ClaimDeps {
  retry: Omit<RetryPolicy, 'windowMinutes'>;
}

/**
 * Creates a run (the partial unique index refuses a second active one of the pipeline, of
 * either kind) and works it under its fresh lease. A refresh unless told otherwise.
 */
export async function startAndWork(
  deps: RunnerDeps,
  pipeline: PipelineConfig,
  options: ClaimOptions,
  trigger: RunTrigger = commandTrigger('refork run'),
  kind: RunKind = 'refresh',
): Promise<RunOutcome> {
  const { store, boundary } = deps;
  const runId = randomUUID();
  const initial = initialSnapshot(kind, pipeline, runId, deps.retry);
  const acquiredAt = performance.now();
  boundary('store:startRun:before');
  const started = await store.startRun({
    id: runId,
    pipeline: pipeline.name,
    kind,
    state: stateOf(initial),
    snapshot: persist(initial),
    machineVersion: MACHINES[kind].version,
    owner: deps.owner,
    leaseTtlMs: deps.leaseTtlMs,
    trigger,
  });
  if (!started.started) {
    return { kind: 'busy', runId: started.active.id, owner: started.active.leaseOwner, until: started.active.leaseExpiresAt };
  }
  boundary('store:startRun:after');
  deps.logger.info('run started', { runId, pipeline: pipeline.name, kind, owner: deps.owner });
  return workClaim(deps, { run: started.run, lease: started.lease, acquiredAt, previousOwner: null, fresh: initial }, options);
}

/** When a due run reads as taken for an instant (another claim in flight), look again after this. */
const BUSY_RETRY_MS = 50;

/** How long to sleep before the run may be claimed: until it is due, or a moment when it reads as due but taken. */
function sleepBeforeClaim(dueInMs: number | null): number {
  return dueInMs !== null && dueInMs > 0 ? dueInMs : BUSY_RETRY_MS;
}

export async function runPipeline(deps: RunnerDeps, pipeline: PipelineConfig, request: RunRequest): Promise<RunOutcome> {
  const { store } = deps;
  const options: ClaimOptions = { deadline: request.deadline, shutdown: request.shutdown };
  let last: RunOutcome | null = null;
  for (;;) {
    const active = await store.activeRun(pipeline.name);
    if (!active) {
      // The run this process drove was finished by another one meanwhile.
      if (last && 'runId' in last) return await finishedElsewhere(deps, last.runId, last);
      if (!request.start) return { kind: 'idle' };
      last = await startAndWork(deps, pipeline, options, request.trigger);
    } else {
      const acquiredAt = performance.now();
      const lease = await store.claimRun(active.id, deps.owner, deps.leaseTtlMs);
      if (lease) {
        last = await workClaim(deps, { run: active, lease, acquiredAt, previousOwner: active.leaseOwner }, options);
      } else {
        const now = await store.now();
        const held = active.leaseExpiresAt !== null && active.leaseExpiresAt > now;
        // Held by another process: say so, unless this one has been driving the run, in which
        // case it follows the run to its end (a worker may take a step of it in between).
        if (held && !(last && 'runId' in last && last.runId === active.id)) {
          return { kind: 'busy', runId: active.id, owner: active.leaseOwner, until: active.leaseExpiresAt };
        }
        // Not due (or not free) yet: sleep until it is, unless that is past the budget.
        const waitMs = sleepBeforeClaim(await store.nextDueInMs([pipeline.name]));
        const resumeAt = active.notBefore?.getTime() ?? null;
        if (request.deadline !== null && Date.now() + waitMs > request.deadline) {
          return { runId: active.id, resumed: true, kind: 'yielded', state: active.state, resumeAt, failing: null };
        }
        await sleepReal(waitMs, request.shutdown);
        if (request.shutdown.aborted) return { runId: active.id, resumed: true, kind: 'stopped', state: active.state };
        continue;
      }
    }
    if (last.kind !== 'yielded') return last;
    // A shutdown that came while the run was being handed back is still a shutdown, not a pause.
    if (request.shutdown.aborted) return { runId: last.runId, resumed: last.resumed, kind: 'stopped', state: last.state };
    if (pastDeadline(request.deadline)) return last;
    // Handed back because its next step is due later: sleep and take it again (above).
  }
}

function pastDeadline(deadline: number | null): boolean {
  return deadline !== null && Date.now() >= deadline;
}

async function finishedElsewhere(deps: RunnerDeps, runId: string, last: RunOutcome): Promise<RunOutcome> {
  const run = await deps.store.getRun(runId);
  if (!run || run.status === 'active') return last;
  return { runId, resumed: true, kind: 'finished', status: run.status, error: run.error };
}

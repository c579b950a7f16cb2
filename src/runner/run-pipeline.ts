// One invocation's worth of work on one pipeline: resume its active run if the lease is free,
// else start a new run (when asked to, or when due), then drive it within the budget.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { initialTransition } from 'xstate';
import { MACHINE_VERSION, refreshMachine, type RefreshInput } from '../../machines/refresh.js';
import type { PipelineConfig } from '../config/pipeline.js';
import type { Notifier } from '../notify/webhook.js';
import type { Lease, RunRecord } from '../store/types.js';
import { drive, type DriveDeps, type DriveOutcome } from './drive.js';
import { LeaseKeeper } from './lease-keeper.js';
import { persist, restore, stateOf } from './snapshot.js';

export interface RunnerDeps extends DriveDeps {
  notifier: Notifier;
  /** A run still active after this long is reported once as stuck. */
  stuckAfterMs: number;
  /** Identifies this process in leases and `status` (dyno name, host, pid). */
  owner: string;
  leaseTtlMs: number;
  /** First retry delay of a failed step (doubles per attempt). */
  retryBaseMs: number;
}

export interface RunRequest {
  /** `start`: begin a run now if none is active; `resume`: only continue an interrupted one. */
  start: boolean;
  deadline: number | null;
  shutdown: AbortSignal;
}

export type RunOutcome =
  | ({ runId: string; resumed: boolean } & DriveOutcome)
  | { kind: 'busy'; runId: string; owner: string | null; until: Date | null }
  | { kind: 'idle' };

export function defaultOwner(): string {
  return `${process.env.DYNO ?? hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function refreshInput(pipeline: PipelineConfig, runId: string, retryBaseMs: number): RefreshInput {
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
    retryBaseMs,
  };
}

export async function runPipeline(deps: RunnerDeps, pipeline: PipelineConfig, request: RunRequest): Promise<RunOutcome> {
  const { store, logger, boundary } = deps;
  const active = await store.activeRun(pipeline.name);
  let runId: string;
  let resumed: boolean;
  let snapshot;
  let lease: Lease;
  let startedAt: Date;
  const acquiredAt = performance.now();

  if (active) {
    const claimed = await store.claimRun(active.id, deps.owner, deps.leaseTtlMs);
    if (!claimed) return { kind: 'busy', runId: active.id, owner: active.leaseOwner, until: active.leaseExpiresAt };
    lease = claimed;
    try {
      snapshot = restore(active.snapshot, active.machineVersion);
    } catch (error) {
      await store.releaseLease(lease);
      throw error;
    }
    runId = active.id;
    resumed = true;
    startedAt = active.createdAt;
    await reportIfStuck(deps, active, lease);
    logger.info('run resumed', { runId, pipeline: pipeline.name, state: active.state, owner: deps.owner });
  } else {
    if (!request.start) return { kind: 'idle' };
    runId = randomUUID();
    const [initial] = initialTransition(refreshMachine, refreshInput(pipeline, runId, deps.retryBaseMs));
    boundary('store:startRun:before');
    const started = await store.startRun({
      id: runId,
      pipeline: pipeline.name,
      state: stateOf(initial),
      snapshot: persist(initial),
      machineVersion: MACHINE_VERSION,
      owner: deps.owner,
      leaseTtlMs: deps.leaseTtlMs,
    });
    if (!started.started) {
      return { kind: 'busy', runId: started.active.id, owner: started.active.leaseOwner, until: started.active.leaseExpiresAt };
    }
    boundary('store:startRun:after');
    lease = started.lease;
    startedAt = started.run.createdAt;
    snapshot = initial;
    resumed = false;
    logger.info('run started', { runId, pipeline: pipeline.name, owner: deps.owner });
  }

  const keeper = new LeaseKeeper(store, lease, deps.leaseTtlMs, acquiredAt);
  keeper.start();
  try {
    const logger = deps.logger.child({ runId, pipeline: pipeline.name });
    const outcome = await drive({ ...deps, logger }, snapshot, { runId, keeper, deadline: request.deadline, shutdown: request.shutdown });
    if (outcome.kind === 'finished') {
      const elapsedMs = (await store.now()).getTime() - startedAt.getTime();
      await deps.notifier.send({
        kind: outcome.status,
        pipeline: pipeline.name,
        runId,
        state: outcome.status,
        error: outcome.error,
        elapsedMs,
      });
    }
    return { runId, resumed, ...outcome };
  } finally {
    keeper.stop();
    // A lost lease belongs to someone else now: releasing it is fenced and would be a no-op anyway.
    if (!keeper.lost) await store.releaseLease(keeper.lease).catch(() => undefined);
  }
}

/** Once per run: a refresh active far longer than expected deserves a human's look. */
async function reportIfStuck(deps: RunnerDeps, run: RunRecord, lease: Lease): Promise<void> {
  const elapsedMs = (await deps.store.now()).getTime() - run.createdAt.getTime();
  if (elapsedMs < deps.stuckAfterMs) return;
  const events = await deps.store.runEvents(run.id);
  if (events.some((event) => event.type === 'notify.stuck')) return;
  await deps.notifier.send({ kind: 'stuck', pipeline: run.pipeline, runId: run.id, state: run.state, error: run.error, elapsedMs });
  await deps.store.appendEvent(lease, { type: 'notify.stuck', from: run.state, to: run.state, detail: { elapsedMs } });
}

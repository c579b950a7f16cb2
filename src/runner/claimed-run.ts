// One claim of one run: hold its lease (renewed in the background), advance it until it waits,
// finishes or halts, then hand the lease back. The notifications that belong to a run (its
// end, and once that it is stuck) are sent from here.
import { retryDelay } from '../../machines/refresh.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from '../notify/outbox.js';
import type { Effects } from '../steps/types.js';
import type { ControlStore, Lease, RunRecord } from '../store/types.js';
import { advance, type AdvanceDeps, type AdvanceOutcome, type HeavySlot } from './advance.js';
import { LeaseKeeper } from './lease-keeper.js';
import { restore, type RunSnapshot } from './snapshot.js';

export interface ClaimDeps extends AdvanceDeps {
  store: ControlStore;
  effects: Effects;
  logger: Logger;
  /** Sends the notices runs owe (their end; once, that they are stuck). */
  outbox: Outbox;
  /** A run still active after this long is reported once as stuck. */
  stuckAfterMs: number;
  /** Identifies this process in leases and `status` (dyno name, host, pid). */
  owner: string;
  leaseTtlMs: number;
}

export type RunOutcome =
  | ({ runId: string; resumed: boolean } & AdvanceOutcome)
  | { kind: 'busy'; runId: string; owner: string | null; until: Date | null }
  | { kind: 'idle' };

export interface Claim {
  run: RunRecord;
  lease: Lease;
  /** Who held the run before this claim. */
  previousOwner: string | null;
  /** performance.now() when the lease was taken: the local lease deadline counts from here. */
  acquiredAt: number;
  /** The run was just started by this process (not resumed from the control table). */
  fresh?: RunSnapshot;
}

export interface ClaimOptions {
  deadline: number | null;
  shutdown: AbortSignal;
  heavy?: HeavySlot;
}

export async function workClaim(deps: ClaimDeps, claim: Claim, options: ClaimOptions): Promise<RunOutcome> {
  const { store, outbox } = deps;
  const { run } = claim;
  // A snapshot this version cannot restore keeps its lease until it expires: the run is tried
  // again a lease later (by a newer refork during a rolling deploy, say), not claimed in a loop.
  const snapshot = claim.fresh ?? restore(run.snapshot, run.machineVersion, run.kind);
  const logger = deps.logger.child({ runId: run.id, pipeline: run.pipeline });
  const keeper = new LeaseKeeper(store, claim.lease, deps.leaseTtlMs, claim.acquiredAt);
  keeper.start();
  try {
    if (!claim.fresh) {
      await reportIfOld(deps, run);
      // Every poll is a claim; say so only when the run changes hands (a takeover, a new process).
      if (claim.previousOwner !== deps.owner)
        logger.info('run resumed', { state: run.state, owner: deps.owner, from: claim.previousOwner });
    }
    const outcome = await advance({ ...deps, logger }, snapshot, { runId: run.id, keeper, ...options });
    // The final transition recorded the notice of the run's end.
    if (outcome.kind === 'finished') {
      await outbox.deliver({ runId: run.id });
    } else if (outcome.kind === 'yielded' && outcome.failing && !keeper.lost) {
      const { failing } = outcome;
      // Retries have slowed to the steady pace: a long Heroku outage, a fork Heroku will not
      // destroy yet. Stuck until the outside world changes; `status` says why.
      if (retryDelay(snapshot.context.retry, failing.failures) >= snapshot.context.retry.maxMs) {
        const detail = { step: failing.step, failures: failing.failures, since: new Date(failing.since).toISOString() };
        await reportStuck(deps, run, failing.step, `${failing.last.step}: ${failing.last.message}`, detail);
      }
    }
    return { runId: run.id, resumed: !claim.fresh, ...outcome };
  } finally {
    keeper.stop();
    // A lost lease belongs to someone else now: releasing it is fenced and would be a no-op anyway.
    // A hand-back that fails is harmless (the lease runs out on its own) but worth a line: it is
    // why a claim right after an outage can wait for that.
    if (!keeper.lost)
      await store.releaseLease(keeper.lease).catch((error: unknown) => {
        logger.warn('lease not handed back; it expires on its own', { error: error instanceof Error ? error.message : String(error) });
      });
  }
}

async function elapsedMs(store: ControlStore, run: RunRecord): Promise<number> {
  return (await store.now()).getTime() - run.createdAt.getTime();
}

/** Once per run: a refresh active far longer than expected deserves a human's look. */
async function reportIfOld(deps: ClaimDeps, run: RunRecord): Promise<void> {
  const elapsed = await elapsedMs(deps.store, run);
  if (elapsed < deps.stuckAfterMs) return;
  await reportStuck(deps, run, run.state, run.error, { elapsedMs: elapsed });
}

async function reportStuck(
  deps: ClaimDeps,
  run: RunRecord,
  state: string,
  error: string | null,
  detail: Record<string, unknown>,
): Promise<void> {
  // Recorded once per run, whoever notices first. Sent now, or, if the process that took it died
  // before it was marked sent, by the next one here once its hold ran out.
  if (await deps.store.recordNotice({ runId: run.id, kind: 'stuck', state, error })) deps.logger.warn('run stuck', { state, ...detail });
  await deps.outbox.deliver({ runId: run.id });
}

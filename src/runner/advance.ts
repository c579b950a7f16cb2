// The durable loop for one claimed run: for the current snapshot, run its pending effect,
// compute the next snapshot with xstate's pure `transition()`, persist it (fenced by the
// lease), repeat. Nothing starts before the snapshot that asked for it is stored, so a crash
// anywhere resumes from the last stored snapshot and re-runs at most the one effect in flight.
// It never sleeps: when the next step is due later (a poll, a retry), the due time is stored
// with the transition and the run is handed back, so a waiting run holds no process.
import type { EventObject } from 'xstate';
import { STEPS, type Failing } from '../../machines/refresh.js';
import type { Boundary } from '../boundary.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { redactValue } from '../log/redact.js';
import { StepError, type Effects, type StepContext } from '../steps/types.js';
import type { ControlStore, RunFacts } from '../store/types.js';
import { toStepFailure } from './failure.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { nextSnapshot, pendingEffect, persist, stateOf, statusOf, type RunSnapshot } from './snapshot.js';

export interface AdvanceDeps {
  store: ControlStore;
  effects: Effects;
  clock: Clock;
  /** Every line it writes carries the run id (the runner passes a child logger). */
  logger: Logger;
  boundary: Boundary;
  /** Stretches a wait that is not urgent when Heroku's rate budget runs low (identity without one). */
  pace: (ms: number) => number;
}

/** A process's allowance of heavy steps: `enter` is false when none is free now. */
export interface HeavySlot {
  enter(): boolean;
  leave(): void;
}

export interface AdvanceOptions {
  runId: string;
  keeper: LeaseKeeper;
  /** Wall-clock epoch ms after which no new effect starts (a tick's budget); null: no limit. */
  deadline: number | null;
  /** Aborted on SIGTERM: the in-flight effect is abandoned and nothing more is written. */
  shutdown: AbortSignal;
  /** Without one, heavy steps are not limited (a single run in the foreground). */
  heavy?: HeavySlot;
}

export type AdvanceOutcome =
  | { kind: 'finished'; status: 'succeeded' | 'failed' | 'aborted'; error: string | null }
  /** Handed back: its next step is due at `resumeAt` (refork clock), or now when null; `failing`: it is retrying. */
  | { kind: 'yielded'; state: string; resumeAt: number | null; failing: Failing | null }
  | { kind: 'stopped'; state: string }
  | { kind: 'lost'; state: string; reason: string };

function isHeavy(state: string): boolean {
  return Object.hasOwn(STEPS, state) && STEPS[state as keyof typeof STEPS].heavy;
}

export async function advance(deps: AdvanceDeps, start: RunSnapshot, options: AdvanceOptions): Promise<AdvanceOutcome> {
  const { store, effects, clock, logger, boundary } = deps;
  const { keeper, runId } = options;
  const stop = AbortSignal.any([options.shutdown, keeper.lostSignal]);
  let snapshot = start;

  const save = async (next: RunSnapshot, event: { type: string; detail: Record<string, unknown> }, facts?: RunFacts) => {
    const from = stateOf(snapshot);
    const to = stateOf(next);
    const status = statusOf(next);
    boundary(`store:save:${to}:before`);
    const saved = await store.saveTransition(keeper.lease, {
      state: to,
      status,
      snapshot: persist(next),
      error: runError(next),
      dueInMs: status === 'active' ? dueInMs(deps, next) : null,
      event: { type: event.type, from, to, detail: redactValue(event.detail) },
      ...(facts ? { facts: redactValue(facts) } : {}),
    });
    if (!saved) {
      keeper.markLost('a fenced write found another lease token');
      return false;
    }
    boundary(`store:save:${to}:after`);
    const waitMessage = to === 'waiting' && 'wait' in next.context ? next.context.wait.message : undefined;
    logger.info('transition', { from, to, event: event.type, status, ...(waitMessage ? { waitMessage } : {}) });
    snapshot = next;
    return true;
  };

  const halted = (): AdvanceOutcome | null => {
    const lost = keeper.lost;
    if (lost) return { kind: 'lost', state: stateOf(snapshot), reason: lost };
    if (options.shutdown.aborted) return { kind: 'stopped', state: stateOf(snapshot) };
    return null;
  };

  // The run was claimed because the database clock says it is due: its pending step runs now,
  // whatever this host's clock says. Due times of later steps are this process's own.
  let claimedDue = true;
  for (;;) {
    const halt = halted();
    if (halt) return halt;
    const pending = pendingEffect(snapshot);
    if (!pending) {
      const status = statusOf(snapshot);
      return { kind: 'finished', status: status === 'active' ? 'failed' : status, error: formatError(snapshot) };
    }
    const state = stateOf(snapshot);

    // Only the machine knows where an abort still leads to compensation rather than rolling forward.
    if (snapshot.can({ type: 'ABORT' })) {
      const run = await store.getRun(runId);
      if (run?.abortRequestedAt) {
        const next = nextSnapshot(snapshot, { type: 'ABORT' });
        // A failed save marks the lease lost; the next turn of the loop returns.
        await save(next, { type: 'ABORT', detail: { requestedAt: run.abortRequestedAt.toISOString() } });
        continue;
      }
    }

    if (!claimedDue) {
      const notBefore = snapshot.context.notBefore;
      if (notBefore !== null && notBefore > clock.now()) return yielded(snapshot, notBefore);
    }
    claimedDue = false;
    if (options.deadline !== null && Date.now() >= options.deadline) return yielded(snapshot, null);

    const heavy = isHeavy(state) ? options.heavy : undefined;
    // No heavy slot free in this process: hand the run back, due now, for whoever has one.
    if (heavy && !heavy.enter()) return yielded(snapshot, null);

    boundary(`effect:${pending.src}:before`);
    let event: EventObject;
    let detail: Record<string, unknown>;
    let facts: RunFacts | undefined;
    try {
      const run = effects[pending.src] as (input: unknown, ctx: StepContext) => Promise<unknown>;
      // What the step learned for the run's record is stored apart from its event (it may be long).
      const { output, facts: learned } = splitFacts(await run(pending.input, { signal: stop, logger }));
      facts = learned;
      event = { type: `xstate.done.actor.${pending.id}`, output } as EventObject;
      detail = { output: output as Record<string, unknown> };
    } catch (error) {
      // An effect cut short by shutdown or a lost lease is not a failure of the step: it re-runs on resume.
      const halt = halted();
      if (halt) return halt;
      const failure = toStepFailure(error, state, clock.now());
      // A step that failed may still have learned something for the run's record (a failed verification's gates).
      if (error instanceof StepError) facts = splitFacts(error).facts;
      logger.warn('step failed', { step: state, error: failure.message, code: failure.code, retryable: failure.retryable });
      event = { type: `xstate.error.actor.${pending.id}`, error: failure } as EventObject;
      detail = { error: failure };
    } finally {
      heavy?.leave();
    }
    boundary(`effect:${pending.src}:after`);
    const afterEffect = halted();
    if (afterEffect) return afterEffect;
    const next = nextSnapshot(snapshot, event);
    await save(next, { type: event.type, detail }, facts);
  }
}

/** An effect's output without its `facts` (see StepFacts), and those facts. */
function splitFacts(output: unknown): { output: unknown; facts?: RunFacts } {
  if (typeof output !== 'object' || output === null || !('facts' in output)) return { output };
  const { facts, ...rest } = output as { facts?: RunFacts };
  return facts ? { output: rest, facts } : { output: rest };
}

function yielded(snapshot: RunSnapshot, resumeAt: number | null): AdvanceOutcome {
  return { kind: 'yielded', state: stateOf(snapshot), resumeAt, failing: snapshot.context.failing };
}

/** Wall-clock ms until the snapshot's next step is due (null: now), paced by the rate budget. */
function dueInMs(deps: AdvanceDeps, snapshot: RunSnapshot): number | null {
  const notBefore = snapshot.context.notBefore;
  if (notBefore === null) return null;
  const wait = notBefore - deps.clock.now();
  return wait > 0 ? deps.pace(deps.clock.realMs(wait)) : null;
}

/**
 * The run's error column, for `status`: how it ended; while it is active, the last failure of a
 * step that keeps failing, else the failure that sent it to compensation.
 */
function runError(snapshot: RunSnapshot): string | null {
  const status = statusOf(snapshot);
  if (status === 'succeeded') return null;
  const last = status === 'active' ? snapshot.context.failing?.last : undefined;
  return last ? `${last.step}: ${last.message}` : formatError(snapshot);
}

function formatError(snapshot: RunSnapshot): string | null {
  const error = snapshot.context.error;
  return error ? `${error.step}: ${error.message}` : null;
}

// The durable loop: for the current snapshot, run its pending effect, compute the next
// snapshot with xstate's pure `transition()`, persist it (fenced by the lease), repeat.
// Nothing starts before the snapshot that asked for it is stored, so a crash anywhere
// resumes from the last stored snapshot and re-runs at most the one effect in flight.
import { transition } from 'xstate';
import { refreshMachine } from '../../machines/refresh.js';
import type { Logger } from '../log/logger.js';
import { redactValue } from '../log/redact.js';
import type { ControlStore } from '../store/types.js';
import type { Effects, StepContext } from '../steps/types.js';
import type { Boundary } from './boundary.js';
import type { Clock } from './clock.js';
import { toStepFailure } from './failure.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { pendingEffect, persist, stateOf, statusOf, type RefreshSnapshot } from './snapshot.js';

export interface DriveDeps {
  store: ControlStore;
  effects: Effects;
  clock: Clock;
  /** Every line it writes carries the run id (the runner passes a child logger). */
  logger: Logger;
  boundary: Boundary;
}

export interface DriveOptions {
  runId: string;
  keeper: LeaseKeeper;
  /** Epoch ms after which no new effect starts (a tick's budget); null runs to the end. */
  deadline: number | null;
  /** Aborted on SIGTERM: the in-flight effect is abandoned and nothing more is written. */
  shutdown: AbortSignal;
}

export type DriveOutcome =
  | { kind: 'finished'; status: 'succeeded' | 'failed' | 'aborted'; error: string | null }
  | { kind: 'yielded'; state: string; resumeAt: number | null }
  | { kind: 'stopped'; state: string }
  | { kind: 'lost'; state: string; reason: string };

/** States where an abort request still leads to compensation rather than rolling forward. */
const ABORTABLE = new Set(['preflight', 'forking', 'waiting', 'anonymizing', 'verifying']);

type MachineEvent = Parameters<typeof transition<typeof refreshMachine>>[2];

export async function drive(deps: DriveDeps, start: RefreshSnapshot, options: DriveOptions): Promise<DriveOutcome> {
  const { store, effects, clock, logger, boundary } = deps;
  const { keeper, runId } = options;
  const stop = AbortSignal.any([options.shutdown, keeper.lostSignal]);
  let snapshot = start;

  const save = async (next: RefreshSnapshot, event: { type: string; detail: Record<string, unknown> }) => {
    const from = stateOf(snapshot);
    const to = stateOf(next);
    const status = statusOf(next);
    const error = status === 'failed' || status === 'aborted' ? formatError(next) : null;
    boundary(`store:save:${to}:before`);
    const saved = await store.saveTransition(keeper.lease, {
      state: to,
      status,
      snapshot: persist(next),
      error,
      event: { type: event.type, from, to, detail: redactValue(event.detail) },
    });
    if (!saved) {
      keeper.markLost('a fenced write found another lease token');
      return false;
    }
    boundary(`store:save:${to}:after`);
    const waitMessage = to === 'waiting' ? next.context.wait.message : undefined;
    logger.info('transition', { from, to, event: event.type, status, ...(waitMessage ? { waitMessage } : {}) });
    snapshot = next;
    return true;
  };

  const halted = (): DriveOutcome | null => {
    const lost = keeper.lost;
    if (lost) return { kind: 'lost', state: stateOf(snapshot), reason: lost };
    if (options.shutdown.aborted) return { kind: 'stopped', state: stateOf(snapshot) };
    return null;
  };

  for (;;) {
    const halt = halted();
    if (halt) return halt;
    const pending = pendingEffect(snapshot);
    if (!pending) {
      const status = statusOf(snapshot);
      return { kind: 'finished', status: status === 'active' ? 'failed' : status, error: formatError(snapshot) };
    }
    const state = stateOf(snapshot);

    if (ABORTABLE.has(state) && !snapshot.context.abortRequested) {
      const run = await store.getRun(runId);
      if (run?.abortRequestedAt) {
        const [next] = transition(refreshMachine, snapshot, { type: 'ABORT' });
        // A failed save marks the lease lost; the next turn of the loop returns.
        await save(next, { type: 'ABORT', detail: { requestedAt: run.abortRequestedAt.toISOString() } });
        continue;
      }
    }

    const notBefore = snapshot.context.notBefore ?? 0;
    const now = clock.now();
    if (notBefore > now) {
      if (options.deadline !== null && notBefore > options.deadline) return { kind: 'yielded', state, resumeAt: notBefore };
      await clock.sleep(notBefore - now, stop);
      continue;
    }
    if (options.deadline !== null && now >= options.deadline) return { kind: 'yielded', state, resumeAt: null };

    boundary(`effect:${pending.src}:before`);
    let event: MachineEvent;
    let detail: Record<string, unknown>;
    try {
      const run = effects[pending.src] as (input: unknown, ctx: StepContext) => Promise<unknown>;
      const output = await run(pending.input, { signal: stop, logger });
      event = { type: `xstate.done.actor.${pending.id}`, output } as unknown as MachineEvent;
      detail = { output: output as Record<string, unknown> };
    } catch (error) {
      // An effect cut short by shutdown or a lost lease is not a failure of the step: it re-runs on resume.
      const halt = halted();
      if (halt) return halt;
      const failure = toStepFailure(error, state, clock.now());
      logger.warn('step failed', { step: state, error: failure.message, code: failure.code, retryable: failure.retryable });
      event = { type: `xstate.error.actor.${pending.id}`, error: failure } as unknown as MachineEvent;
      detail = { error: failure };
    }
    boundary(`effect:${pending.src}:after`);
    const afterEffect = halted();
    if (afterEffect) return afterEffect;
    const [next] = transition(refreshMachine, snapshot, event);
    await save(next, { type: (event as { type: string }).type, detail });
  }
}

function formatError(snapshot: RefreshSnapshot): string | null {
  const error = snapshot.context.error;
  return error ? `${error.step}: ${error.message}` : null;
}

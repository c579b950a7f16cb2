// `refork rollback <pipeline>` as an explicit state machine, run by the same runtime as a
// refresh (a row in refork_runs of kind `rollback`: leased, fenced, persisted before each
// effect, resumable after a crash at any point). It promotes the pipeline's previous database
// back to DATABASE with the refresh's own `promote` effect, so it has the same safety:
//
//   reserving → promoting → cleaning → succeeded
//        ↘ (a failure, an abort)  ↘ (a failure)
//          releasing ──(DATABASE already moved)──→ cleaning
//              ↘ failed | aborted
//
// Waits and retries are data (`notBefore`), as in machines/refresh.ts, whose retry policy it shares.
import { assign, fromPromise, setup } from 'xstate';
import type {
  AddonRef,
  CleanupRollbackInput,
  CleanupRollbackOutput,
  PromoteInput,
  PromoteOutput,
  ReleaseRollbackInput,
  ReleaseRollbackOutput,
  ReservePreviousInput,
  ReservePreviousOutput,
  RollbackEffects,
  StepFailure,
} from '../src/steps/types.js';
import { retryAfter, type Failing, type RetryPolicy } from './refresh.js';

/** Bump when a state, invoke id or context field changes meaning (src/runner/snapshot.ts). */
export const ROLLBACK_MACHINE_VERSION = 1;

export interface RollbackInput {
  runId: string;
  pipeline: string;
  targetApp: string;
  forkApp: string;
  /** `keep_previous` in ms when the rollback started: the database rolled back from is kept this long, or destroyed (null). */
  keepPreviousMs: number | null;
  retry: RetryPolicy;
}

export interface RollbackContext extends RollbackInput {
  previous: AddonRef | null;
  /** DATABASE when the rollback began: the database rolled back from. */
  current: AddonRef | null;
  /** The promotion was started: from then on the run rolls forward when DATABASE already moved. */
  promotionStarted: boolean;
  promoted: boolean;
  releaseFailure: string | null;
  attempts: Record<string, number>;
  failing: Failing | null;
  notBefore: number | null;
  abortRequested: boolean;
  error: StepFailure | null;
}

export type RollbackEvent = { type: 'ABORT' };

const effect = <I, O>() =>
  fromPromise<O, I>(async () => {
    throw new Error('effects are executed by the runner, not by xstate');
  });

const actors = {
  reservePrevious: effect<ReservePreviousInput, ReservePreviousOutput>(),
  promote: effect<PromoteInput, PromoteOutput>(),
  cleanupRollback: effect<CleanupRollbackInput, CleanupRollbackOutput>(),
  releaseRollback: effect<ReleaseRollbackInput, ReleaseRollbackOutput>(),
} satisfies Record<keyof RollbackEffects | 'promote', unknown>;

type ErrorEvent = { type: string; error: unknown };
const failureOf = (event: ErrorEvent): StepFailure => event.error as StepFailure;

/** Every step may retry within the pipeline's work window; releasing (the compensation) retries until Heroku answers. */
function closesAt(context: RollbackContext, failure: StepFailure): number | null {
  if (failure.step === 'releasing') return null;
  const since = context.failing?.step === failure.step ? context.failing.since : failure.at;
  return since + context.retry.windowMinutes * 60_000;
}

type RollbackStep = 'reserving' | 'promoting' | 'cleaning' | 'releasing';

function retryOr<const S extends RollbackStep>(state: S, otherwise: { target: 'releasing' | 'failed'; actions: 'recordFailure' }) {
  return [{ guard: 'mayRetry' as const, target: state, reenter: true, actions: 'scheduleRetry' as const }, otherwise];
}

export const rollbackMachine = setup({
  types: {
    context: {} as RollbackContext,
    input: {} as RollbackInput,
    events: {} as RollbackEvent,
  },
  actors,
  guards: {
    mayRetry: ({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      if (!failure.retryable) return false;
      const closes = closesAt(context, failure);
      return closes === null || failure.at < closes;
    },
    previousIsDatabase: (_, output: ReleaseRollbackOutput) => output.promoted,
    abortWasRequested: ({ context }) => context.abortRequested,
    releasePhaseFailed: ({ context }) => context.releaseFailure !== null,
  },
  actions: {
    scheduleRetry: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      return retryAfter(context, failure, closesAt(context, failure));
    }),
    recordFailure: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      return {
        error: context.error ?? failure,
        notBefore: null,
        failing: null,
        attempts: { ...context.attempts, [failure.step]: (context.attempts[failure.step] ?? 0) + 1 },
      };
    }),
    recordAbort: assign(({ context }) => ({
      abortRequested: true,
      notBefore: null,
      failing: null,
      error: context.error ?? { step: 'abort', message: 'aborted on request', code: 'aborted', retryable: false, at: 0 },
    })),
    clearSchedule: assign({ notBefore: null, failing: null }),
  },
}).createMachine({
  id: 'rollback',
  context: ({ input }) => ({
    ...input,
    previous: null,
    current: null,
    promotionStarted: false,
    promoted: false,
    releaseFailure: null,
    attempts: {},
    failing: null,
    notBefore: null,
    abortRequested: false,
    error: null,
  }),
  initial: 'reserving',
  states: {
    reserving: {
      on: { ABORT: { target: 'releasing', actions: 'recordAbort' } },
      invoke: {
        id: 'reservePrevious',
        src: 'reservePrevious',
        input: ({ context }) => ({ app: context.targetApp, pipeline: context.pipeline, runId: context.runId }),
        onDone: {
          target: 'promoting',
          actions: ['clearSchedule', assign(({ event }) => ({ previous: event.output.previous, current: event.output.current }))],
        },
        // Whatever it had reserved goes back to `kept`.
        onError: retryOr('reserving', { target: 'releasing', actions: 'recordFailure' }),
      },
    },

    // No abort from here: like a refresh's promotion, it rolls forward.
    promoting: {
      entry: assign({ promotionStarted: true }),
      invoke: {
        id: 'promote',
        src: 'promote',
        input: ({ context }) => ({
          app: context.targetApp,
          fork: context.previous ?? { id: '', name: '' },
          oldDatabase: context.current,
        }),
        onDone: {
          target: 'cleaning',
          actions: ['clearSchedule', assign(({ event }) => ({ promoted: true, releaseFailure: event.output.releaseFailure }))],
        },
        onError: retryOr('promoting', { target: 'releasing', actions: 'recordFailure' }),
      },
    },

    cleaning: {
      invoke: {
        id: 'cleanupRollback',
        src: 'cleanupRollback',
        input: ({ context }) => ({
          app: context.targetApp,
          forkApp: context.forkApp,
          pipeline: context.pipeline,
          runId: context.runId,
          previous: context.previous ?? { id: '', name: '', app: '' },
          current: context.current ?? { id: '', name: '', app: '' },
          keepPreviousMs: context.keepPreviousMs,
          releaseFailed: context.releaseFailure !== null,
        }),
        onDone: [
          {
            guard: 'releasePhaseFailed',
            target: 'failed',
            actions: assign(({ context }) => ({
              notBefore: null,
              error: {
                step: 'promoting',
                message: `rolled back to ${context.previous?.name ?? ''}, but ${context.releaseFailure ?? 'the release phase failed'}; ${context.current?.name ?? ''} is kept under REFORK_PREVIOUS`,
                code: 'release_failed',
                retryable: false,
                at: 0,
              },
            })),
          },
          { target: 'succeeded', actions: 'clearSchedule' },
        ],
        onError: retryOr('cleaning', { target: 'failed', actions: 'recordFailure' }),
      },
    },

    releasing: {
      invoke: {
        id: 'releaseRollback',
        src: 'releaseRollback',
        input: ({ context }) => ({
          app: context.targetApp,
          pipeline: context.pipeline,
          runId: context.runId,
          previous: context.previous,
          promotionStarted: context.promotionStarted,
        }),
        onDone: [
          {
            guard: { type: 'previousIsDatabase', params: ({ event }) => event.output },
            target: 'cleaning',
            actions: ['clearSchedule', assign({ promoted: true })],
          },
          { guard: 'abortWasRequested', target: 'aborted', actions: 'clearSchedule' },
          { target: 'failed', actions: 'clearSchedule' },
        ],
        onError: retryOr('releasing', { target: 'failed', actions: 'recordFailure' }),
      },
    },

    succeeded: { type: 'final' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
});

export type RollbackMachine = typeof rollbackMachine;

// `refork rollback <pipeline>` as an explicit state machine, run by the same runtime as a
// refresh (a row in refork_runs of kind `rollback`: leased, fenced, persisted before each
// effect, resumable after a crash at any point). It promotes the pipeline's previous database
// back to DATABASE with the refresh's own `promote` effect, so it has the same safety:
//
//   reserving → [enteringMaintenance] → promoting → [leavingMaintenance] → cleaning → succeeded
//        ↘ (a failure, an abort)  ↘            ↘ (a failure)     ↑
//          releasing ──(DATABASE already moved)──→ [leavingMaintenance] → cleaning
//              ↘ [leavingMaintenance] → failed | aborted
//
// With `maintenance: true` the target is in maintenance while DATABASE moves back, entered and
// left exactly as a refresh does (machines/maintenance.ts, docs/maintenance.md): every path out
// of a run that may have turned it on goes through leavingMaintenance, and an owner's own
// window is never turned off.
//
// Waits and retries are data (`notBefore`), as in machines/refresh.ts, whose retry policy it shares.
import { assign, fromPromise, setup } from 'xstate';
import type {
  AddonRef,
  CleanupRollbackInput,
  CleanupRollbackOutput,
  EnterMaintenanceInput,
  EnterMaintenanceOutput,
  LeaveMaintenanceInput,
  LeaveMaintenanceOutput,
  PromoteInput,
  PromoteOutput,
  ReleaseRollbackInput,
  ReleaseRollbackOutput,
  ReservePreviousInput,
  ReservePreviousOutput,
  RollbackEffects,
  StepFailure,
} from '../src/steps/types.js';
import { entered, initialMaintenance, left, leftOnMessage, maintenanceToLeave, onlyLooked, type MaintenanceRecord } from './maintenance.js';
import { retryAfter, type Failing, type RetryPolicy } from './refresh.js';

/**
 * Bump when a state, invoke id or context field changes meaning (src/runner/snapshot.ts).
 * 2: maintenance mode around the swap (`maintenanceMode`, `maintenance`, two states).
 */
export const ROLLBACK_MACHINE_VERSION = 2;

export interface RollbackInput {
  runId: string;
  pipeline: string;
  targetApp: string;
  forkApp: string;
  /** `keep_previous` in ms when the rollback started: the database rolled back from is kept this long, or destroyed (null). */
  keepPreviousMs: number | null;
  retry: RetryPolicy;
  /** The target goes into maintenance mode around the swap, as in a refresh (docs/maintenance.md). */
  maintenanceMode: boolean;
}

export interface RollbackContext extends RollbackInput {
  previous: AddonRef | null;
  /** DATABASE when the rollback began: the database rolled back from. */
  current: AddonRef | null;
  /** The promotion was started: from then on the run rolls forward when DATABASE already moved. */
  promotionStarted: boolean;
  promoted: boolean;
  releaseFailure: string | null;
  /** Null when the pipeline does not use maintenance mode. */
  maintenance: MaintenanceRecord | null;
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
  enterMaintenance: effect<EnterMaintenanceInput, EnterMaintenanceOutput>(),
  promote: effect<PromoteInput, PromoteOutput>(),
  leaveMaintenance: effect<LeaveMaintenanceInput, LeaveMaintenanceOutput>(),
  cleanupRollback: effect<CleanupRollbackInput, CleanupRollbackOutput>(),
  releaseRollback: effect<ReleaseRollbackInput, ReleaseRollbackOutput>(),
} satisfies Record<keyof RollbackEffects | 'promote' | 'enterMaintenance' | 'leaveMaintenance', unknown>;

type ErrorEvent = { type: string; error: unknown };
const failureOf = (event: ErrorEvent): StepFailure => event.error as StepFailure;

/**
 * Every step may retry within the pipeline's work window; releasing (the compensation) and
 * leaving maintenance retry until Heroku answers, as in a refresh.
 */
function closesAt(context: RollbackContext, failure: StepFailure): number | null {
  if (failure.step === 'releasing' || failure.step === 'leavingMaintenance') return null;
  const since = context.failing?.step === failure.step ? context.failing.since : failure.at;
  return since + context.retry.windowMinutes * 60_000;
}

type RollbackStep = 'reserving' | 'enteringMaintenance' | 'promoting' | 'leavingMaintenance' | 'cleaning' | 'releasing';

function retryOr<const S extends RollbackStep>(
  state: S,
  ...otherwise: Array<{
    guard?: 'maintenanceToLeave' | 'wasPromoted';
    target: RollbackStep | 'failed';
    actions: 'recordFailure' | 'recordMaintenanceLeftOn';
  }>
) {
  return [{ guard: 'mayRetry' as const, target: state, reenter: true, actions: 'scheduleRetry' as const }, ...otherwise];
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
    usesMaintenance: ({ context }) => context.maintenance !== null,
    maintenanceLooked: (_, output: EnterMaintenanceOutput) => onlyLooked(output),
    maintenanceToLeave: ({ context }) => maintenanceToLeave(context),
    wasPromoted: ({ context }) => context.promoted,
    /** Rolled back, but Heroku refused to take the target out of maintenance: cleaned up, then failed. */
    maintenanceLeftOn: ({ context }) => context.error?.step === 'leavingMaintenance',
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
    recordMaintenanceOff: assign(({ context, event }) => ({
      maintenance: left(context, (event as unknown as { output: LeaveMaintenanceOutput }).output),
    })),
    recordMaintenanceLeftOn: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      const cause = context.error ? ` (after: ${context.error.step}: ${context.error.message})` : '';
      return {
        notBefore: null,
        failing: null,
        attempts: { ...context.attempts, [failure.step]: (context.attempts[failure.step] ?? 0) + 1 },
        error: { ...failure, message: leftOnMessage(context, failure.message, '', cause) },
      };
    }),
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
    maintenance: initialMaintenance(input.maintenanceMode),
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
        onDone: [
          {
            guard: 'usesMaintenance',
            target: 'enteringMaintenance',
            actions: ['clearSchedule', assign(({ event }) => ({ previous: event.output.previous, current: event.output.current }))],
          },
          {
            target: 'promoting',
            actions: ['clearSchedule', assign(({ event }) => ({ previous: event.output.previous, current: event.output.current }))],
          },
        ],
        // Whatever it had reserved goes back to `kept`.
        onError: retryOr('reserving', { target: 'releasing', actions: 'recordFailure' }),
      },
    },

    // Just before the swap, as in a refresh: look first, then set, each step persisted.
    enteringMaintenance: {
      on: { ABORT: { target: 'releasing', actions: 'recordAbort' } },
      invoke: {
        id: 'enterMaintenance',
        src: 'enterMaintenance',
        input: ({ context }) => ({ app: context.targetApp, found: context.maintenance?.found ?? null }),
        onDone: [
          {
            guard: { type: 'maintenanceLooked', params: ({ event }) => event.output },
            target: 'enteringMaintenance',
            reenter: true,
            actions: ['clearSchedule', assign(({ event }) => ({ maintenance: entered(event.output) }))],
          },
          { target: 'promoting', actions: ['clearSchedule', assign(({ event }) => ({ maintenance: entered(event.output) }))] },
        ],
        // Releasing gives the reservation back, then leaves maintenance if refork may have turned it on.
        onError: retryOr('enteringMaintenance', { target: 'releasing', actions: 'recordFailure' }),
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
        // The release phase is over (promote waits for it): staging may open again.
        onDone: [
          {
            guard: 'maintenanceToLeave',
            target: 'leavingMaintenance',
            actions: ['clearSchedule', assign(({ event }) => ({ promoted: true, releaseFailure: event.output.releaseFailure }))],
          },
          {
            target: 'cleaning',
            actions: ['clearSchedule', assign(({ event }) => ({ promoted: true, releaseFailure: event.output.releaseFailure }))],
          },
        ],
        onError: retryOr('promoting', { target: 'releasing', actions: 'recordFailure' }),
      },
    },

    // Every path that may have turned maintenance on comes through here; where it goes next
    // follows from the context. After the swap it always goes on to clean up: the records must
    // not be left holding the restored database, even when Heroku refuses to end maintenance.
    leavingMaintenance: {
      invoke: {
        id: 'leaveMaintenance',
        src: 'leaveMaintenance',
        input: ({ context }) => ({ app: context.targetApp }),
        onDone: [
          { guard: 'wasPromoted', target: 'cleaning', actions: ['clearSchedule', 'recordMaintenanceOff'] },
          { guard: 'abortWasRequested', target: 'aborted', actions: ['clearSchedule', 'recordMaintenanceOff'] },
          { target: 'failed', actions: ['clearSchedule', 'recordMaintenanceOff'] },
        ],
        // Retried while Heroku is down (the window never closes); a refusal ends the run, naming it.
        onError: retryOr(
          'leavingMaintenance',
          { guard: 'wasPromoted', target: 'cleaning', actions: 'recordMaintenanceLeftOn' },
          { target: 'failed', actions: 'recordMaintenanceLeftOn' },
        ),
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
          { guard: 'maintenanceLeftOn', target: 'failed', actions: 'clearSchedule' },
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
            guard: 'maintenanceToLeave',
            target: 'leavingMaintenance',
            actions: ['clearSchedule', assign(({ event }) => ({ promoted: event.output.promoted }))],
          },
          {
            guard: { type: 'previousIsDatabase', params: ({ event }) => event.output },
            target: 'cleaning',
            actions: ['clearSchedule', assign({ promoted: true })],
          },
          { guard: 'abortWasRequested', target: 'aborted', actions: 'clearSchedule' },
          { target: 'failed', actions: 'clearSchedule' },
        ],
        onError: retryOr(
          'releasing',
          { guard: 'maintenanceToLeave', target: 'leavingMaintenance', actions: 'recordFailure' },
          { target: 'failed', actions: 'recordFailure' },
        ),
      },
    },

    succeeded: { type: 'final' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
});

export type RollbackMachine = typeof rollbackMachine;

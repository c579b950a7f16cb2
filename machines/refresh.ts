// The nightly refresh as an explicit state machine: no I/O here. Each step invokes a named
// effect (implemented in src/steps, executed by src/runner after the snapshot that starts it
// is persisted). Waits and retries are data (`notBefore`), never xstate `after` delays, which
// are lost on restore (xstate#5331). A failed step is retried while its retry window is open
// (a span of time per kind of step, docs/failure.md), not a number of times.
import { assign, fromPromise, setup } from 'xstate';
import type {
  AddonRef,
  AnonymizeInput,
  AnonymizeOutput,
  CleanupInput,
  CleanupOutput,
  CompensateInput,
  CompensateOutput,
  CreateForkInput,
  CreateForkOutput,
  EnterMaintenanceInput,
  EnterMaintenanceOutput,
  LeaveMaintenanceInput,
  LeaveMaintenanceOutput,
  FixUpInput,
  FixUpOutput,
  PreflightInput,
  PreflightOutput,
  PromoteInput,
  PromoteOutput,
  RefreshEffects,
  StepFailure,
  VerifyInput,
  VerifyOutput,
  WaitForForkInput,
  WaitForForkOutput,
} from '../src/steps/types.js';
import { attachmentNameFor, forkNameFor } from '../src/steps/names.js';
import { entered, initialMaintenance, left, leftOnMessage, maintenanceToLeave, onlyLooked, type MaintenanceRecord } from './maintenance.js';

export type { MaintenanceRecord } from './maintenance.js';

/**
 * Bump when a state, invoke id or context field changes meaning; src/runner/snapshot.ts then
 * migrates the older snapshots it can and refuses the rest with a clear message.
 * 2: forks are made on `forkApp` (in the context and the effects' inputs).
 * 3: retries by time windows (`retry`, `failing`) instead of five attempts.
 * 4: `fixingUp` between anonymizing and verifying; maintenance mode around the swap
 *    (`maintenanceMode`, `maintenance`, two states).
 */
export const MACHINE_VERSION = 4;

/**
 * How long each step may keep failing transiently before the run gives up on it:
 * - `preflight`: a few minutes; nothing exists yet, so failing is cheap (the next schedule retries);
 * - `fork`: until `maxWaitMinutes` (counted from the first poll once there was one): an API
 *   outage while Heroku builds the fork is not the fork failing;
 * - `work`: `retry.windowMinutes` (hours); the fork's ledger makes anonymizing again safe,
 *   verifying is read-only, promoting and cleaning read Heroku first and roll forward;
 * - `never`: compensation retries a transient failure until Heroku answers (a fork refork owns bills).
 */
export type RetryWindow = 'preflight' | 'fork' | 'work' | 'never';

/** What the runtime needs to know of each step, written once. */
export const STEPS = {
  preflight: { window: 'preflight', heavy: false },
  forking: { window: 'fork', heavy: false },
  waiting: { window: 'fork', heavy: false },
  /** Heavy: holds database sessions on the fork for long; a process runs few side by side. */
  anonymizing: { window: 'work', heavy: true },
  /** Light: one session, the pipeline's own statements; the ledger makes trying again safe. */
  fixingUp: { window: 'work', heavy: false },
  verifying: { window: 'work', heavy: true },
  enteringMaintenance: { window: 'work', heavy: false },
  promoting: { window: 'work', heavy: false },
  /** Like compensation: staging stays closed until Heroku takes the change, however long it is down. */
  leavingMaintenance: { window: 'never', heavy: false },
  cleaning: { window: 'work', heavy: false },
  compensating: { window: 'never', heavy: false },
} as const satisfies Record<string, { window: RetryWindow; heavy: boolean }>;

export type StepState = keyof typeof STEPS;

/** The preflight window: long enough to ride out a blip, short enough to fail fast. */
export const PREFLIGHT_WINDOW_MS = 5 * 60_000;

export interface RetryPolicy {
  /** First retry delay; doubles with each failure in a row. */
  baseMs: number;
  /** The delay stops growing here: the slow, steady pace at which a long outage is retried. */
  maxMs: number;
  /** The `work` window, in minutes. */
  windowMinutes: number;
}

/** Production defaults: from 15 s, doubling, to a steady try every 10 minutes; work steps ride out 6 hours. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 15_000, maxMs: 10 * 60_000, windowMinutes: 6 * 60 };

/** Delay before the next try after `failures` failures in a row. */
export function retryDelay(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/** What a machine keeps of its failures, for `retryAfter`. */
export interface FailureBookkeeping {
  attempts: Record<string, number>;
  failing: Failing | null;
  retry: RetryPolicy;
}

/** A step failed and may be retried: one more failure counted, the streak extended, the next try scheduled. Shared by every machine. */
export function retryAfter(context: FailureBookkeeping, failure: StepFailure, closesAt: number | null) {
  const same = context.failing?.step === failure.step ? context.failing : null;
  const failures = (same?.failures ?? 0) + 1;
  return {
    attempts: { ...context.attempts, [failure.step]: (context.attempts[failure.step] ?? 0) + 1 },
    failing: { step: failure.step, since: same?.since ?? failure.at, failures, closesAt, last: failure },
    notBefore: failure.at + retryDelay(context.retry, failures),
  };
}

/** A run of failures of one step: when it began (its window counts from there) and the last one. */
export interface Failing {
  step: string;
  since: number;
  failures: number;
  /** Epoch ms when the window closes; null when it never does. */
  closesAt: number | null;
  last: StepFailure;
}

export interface RefreshInput {
  runId: string;
  pipeline: string;
  sourceApp: string;
  sourceDatabase: string;
  targetApp: string;
  /** Where the fork is created, masked and verified before it is attached to the target (may be the target). */
  forkApp: string;
  plan: string;
  fast: boolean;
  maxWaitMinutes: number;
  retry: RetryPolicy;
  /** The target goes into maintenance mode around the swap (docs/maintenance.md). */
  maintenanceMode: boolean;
  /** `keep_previous` in ms: the replaced database is kept for a rollback (absent in runs saved before it: destroyed as then). */
  keepPreviousMs?: number | null;
}

export interface RefreshContext extends RefreshInput {
  /** Deterministic from the run id: the look-up key that makes fork creation idempotent. */
  forkName: string;
  attachmentName: string;
  source: AddonRef | null;
  oldDatabase: AddonRef | null;
  fork: CreateForkOutput | null;
  wait: { polls: number; notFound: number; startedAt: number | null; message: string | null };
  /** Failures so far per step (for `status`). */
  attempts: Record<string, number>;
  /** The current step's failures in a row; null once it succeeds. */
  failing: Failing | null;
  /** Epoch ms before which the runner must not start the current step's effect. */
  notBefore: number | null;
  promoted: boolean;
  /** Set when the target's release phase failed after promotion (the run then ends failed). */
  releaseFailure: string | null;
  /** Null when the pipeline does not use maintenance mode. */
  maintenance: MaintenanceRecord | null;
  abortRequested: boolean;
  /** The failure that sent the run to compensation or ended it. */
  error: StepFailure | null;
}

export type RefreshEvent = { type: 'ABORT' };

export { attachmentNameFor, forkNameFor } from '../src/steps/names.js';

// Placeholders give the machine its types; the runner executes the real effects by name.
const effect = <I, O>() =>
  fromPromise<O, I>(async () => {
    throw new Error('effects are executed by the runner, not by xstate');
  });

type ErrorEvent = { type: string; error: unknown };
const failureOf = (event: ErrorEvent): StepFailure => event.error as StepFailure;

function isStep(step: string): step is StepState {
  return Object.hasOwn(STEPS, step);
}

/** When the failing step's window closes, counted from the first failure in a row (null: never). */
export function windowClosesAt(context: RefreshContext, failure: StepFailure): number | null {
  const since = context.failing?.step === failure.step ? context.failing.since : failure.at;
  if (!isStep(failure.step)) return since;
  switch (STEPS[failure.step].window) {
    case 'preflight':
      return since + PREFLIGHT_WINDOW_MS;
    case 'fork': {
      const waitedSince = failure.step === 'waiting' ? (context.wait.startedAt ?? since) : since;
      return waitedSince + context.maxWaitMinutes * 60_000;
    }
    case 'work':
      return since + context.retry.windowMinutes * 60_000;
    case 'never':
      return null;
  }
}

/**
 * The onError transitions of a step: try it again later while the failure is transient and
 * the step's window is open, else `otherwise`. Written once for every step.
 */
function retryOr<const S extends StepState>(
  state: S,
  otherwise: { target: 'compensating' | 'failed'; actions: 'recordFailure' | 'recordLeftover' | 'recordMaintenanceLeftOn' },
) {
  return [retryIn(state), otherwise];
}

function retryIn<const S extends StepState>(state: S) {
  return { guard: 'mayRetry' as const, target: state, reenter: true, actions: 'scheduleRetry' as const };
}

// One actor per effect; `satisfies` ties these names to the Effects the runner executes.
const actors = {
  preflight: effect<PreflightInput, PreflightOutput>(),
  createFork: effect<CreateForkInput, CreateForkOutput>(),
  waitForFork: effect<WaitForForkInput, WaitForForkOutput>(),
  anonymize: effect<AnonymizeInput, AnonymizeOutput>(),
  fixUp: effect<FixUpInput, FixUpOutput>(),
  verify: effect<VerifyInput, VerifyOutput>(),
  enterMaintenance: effect<EnterMaintenanceInput, EnterMaintenanceOutput>(),
  promote: effect<PromoteInput, PromoteOutput>(),
  leaveMaintenance: effect<LeaveMaintenanceInput, LeaveMaintenanceOutput>(),
  cleanup: effect<CleanupInput, CleanupOutput>(),
  compensate: effect<CompensateInput, CompensateOutput>(),
} satisfies Record<keyof RefreshEffects, unknown>;

export const refreshMachine = setup({
  types: {
    context: {} as RefreshContext,
    input: {} as RefreshInput,
    events: {} as RefreshEvent,
  },
  actors,

  guards: {
    mayRetry: ({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      if (!failure.retryable) return false;
      const closesAt = windowClosesAt(context, failure);
      return closesAt === null || failure.at < closesAt;
    },
    forkIsAvailable: (_, output: WaitForForkOutput) => output.available,
    forkWasPromoted: (_, output: CompensateOutput) => output.promoted,
    abortWasRequested: ({ context }) => context.abortRequested,
    releasePhaseFailed: ({ context }) => context.releaseFailure !== null,
    usesMaintenance: ({ context }) => context.maintenance !== null,
    maintenanceLooked: (_, output: EnterMaintenanceOutput) => onlyLooked(output),
    maintenanceToLeave: ({ context }) => maintenanceToLeave(context),
    wasPromoted: ({ context }) => context.promoted,
    /** An abort ends aborted, unless compensation itself failed for good (the run then ends failed, naming the leftover). */
    endsAborted: ({ context }) => context.abortRequested && context.error?.step !== 'compensating',
  },
  actions: {
    scheduleRetry: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      return retryAfter(context, failure, windowClosesAt(context, failure));
    }),
    recordFailure: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      return {
        error: failure,
        notBefore: null,
        failing: null,
        attempts: { ...context.attempts, [failure.step]: (context.attempts[failure.step] ?? 0) + 1 },
      };
    }),
    recordLeftover: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      const cause = context.error ? ` (after: ${context.error.step}: ${context.error.message})` : '';
      return {
        notBefore: null,
        failing: null,
        error: { ...failure, message: `${failure.message}; the fork ${context.forkName} may remain: run \`refork gc\`${cause}` },
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
      const kept = context.promoted && context.oldDatabase ? `; the old database ${context.oldDatabase.name} is kept` : '';
      return {
        notBefore: null,
        failing: null,
        error: {
          ...failure,
          message: leftOnMessage(context, failure.message, kept, cause),
        },
      };
    }),
    /** A step succeeded: the next one is due now, and no failure streak carries over. */
    clearSchedule: assign({ notBefore: null, failing: null }),
  },
}).createMachine({
  id: 'refresh',
  context: ({ input }) => ({
    ...input,
    forkName: forkNameFor(input.pipeline, input.runId),
    attachmentName: attachmentNameFor(input.runId),
    source: null,
    oldDatabase: null,
    fork: null,
    wait: { polls: 0, notFound: 0, startedAt: null, message: null },
    attempts: {},
    failing: null,
    notBefore: null,
    promoted: false,
    releaseFailure: null,
    maintenance: initialMaintenance(input.maintenanceMode),
    abortRequested: false,
    error: null,
  }),
  initial: 'preflight',
  states: {
    preflight: {
      on: { ABORT: { target: 'aborted', actions: 'recordAbort' } },
      invoke: {
        id: 'preflight',
        src: 'preflight',
        input: ({ context }) => ({
          sourceApp: context.sourceApp,
          sourceDatabase: context.sourceDatabase,
          targetApp: context.targetApp,
          forkApp: context.forkApp,
        }),
        onDone: {
          target: 'forking',
          actions: ['clearSchedule', assign(({ event }) => ({ source: event.output.source, oldDatabase: event.output.oldDatabase }))],
        },
        // Nothing exists yet that would need compensation.
        onError: retryOr('preflight', { target: 'failed', actions: 'recordFailure' }),
      },
    },

    forking: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
      invoke: {
        id: 'createFork',
        src: 'createFork',
        input: ({ context }) => ({
          app: context.forkApp,
          name: context.forkName,
          attachmentName: context.attachmentName,
          plan: context.plan,
          forkFrom: context.source?.name ?? '',
          fast: context.fast,
        }),
        onDone: { target: 'waiting', actions: ['clearSchedule', assign(({ event }) => ({ fork: event.output }))] },
        onError: retryOr('forking', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    waiting: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
      invoke: {
        id: 'waitForFork',
        src: 'waitForFork',
        input: ({ context }) => ({
          app: context.forkApp,
          forkId: context.fork?.id ?? '',
          polls: context.wait.polls,
          notFound: context.wait.notFound,
          startedAt: context.wait.startedAt,
          maxWaitMinutes: context.maxWaitMinutes,
        }),
        onDone: [
          {
            guard: { type: 'forkIsAvailable', params: ({ event }) => event.output },
            target: 'anonymizing',
            actions: [
              'clearSchedule',
              assign(({ context, event }) => ({
                wait: { ...context.wait, polls: context.wait.polls + 1, message: event.output.message },
              })),
            ],
          },
          {
            // Not yet: poll again at the time the effect chose, as a persisted transition.
            target: 'waiting',
            reenter: true,
            actions: assign(({ context, event }) => ({
              notBefore: event.output.nextPollAt,
              failing: null,
              wait: {
                polls: context.wait.polls + 1,
                notFound: event.output.notFound,
                startedAt: context.wait.startedAt ?? event.output.observedAt,
                message: event.output.message,
              },
            })),
          },
        ],
        onError: retryOr('waiting', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    anonymizing: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
      invoke: {
        id: 'anonymize',
        src: 'anonymize',
        input: ({ context }) => ({
          app: context.forkApp,
          forkId: context.fork?.id ?? '',
          attachmentName: context.attachmentName,
          runId: context.runId,
        }),
        onDone: { target: 'fixingUp', actions: 'clearSchedule' },
        onError: retryOr('anonymizing', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    // The pipeline's fix-ups (docs/fixups.md), on the masked data and before the gates, so what
    // is verified is what staging will see. A failing statement is final; a lost session is retried.
    fixingUp: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
      invoke: {
        id: 'fixUp',
        src: 'fixUp',
        input: ({ context }) => ({
          app: context.forkApp,
          forkId: context.fork?.id ?? '',
          attachmentName: context.attachmentName,
          runId: context.runId,
        }),
        onDone: { target: 'verifying', actions: 'clearSchedule' },
        onError: retryOr('fixingUp', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    verifying: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
      invoke: {
        id: 'verify',
        src: 'verify',
        input: ({ context }) => ({
          app: context.forkApp,
          forkId: context.fork?.id ?? '',
          attachmentName: context.attachmentName,
          runId: context.runId,
        }),
        onDone: [
          { guard: 'usesMaintenance', target: 'enteringMaintenance', actions: 'clearSchedule' },
          { target: 'promoting', actions: 'clearSchedule' },
        ],
        // A check that found a problem is final (not retryable); one that could not run (a lost
        // connection, an API error) is retried within the window: verifying is read-only.
        onError: retryOr('verifying', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    // Just before promotion (docs/maintenance.md): look first, then set, each step persisted.
    enteringMaintenance: {
      on: { ABORT: { target: 'compensating', actions: 'recordAbort' } },
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
          {
            target: 'promoting',
            actions: ['clearSchedule', assign(({ event }) => ({ maintenance: entered(event.output) }))],
          },
        ],
        // Compensation turns maintenance off again if refork may have turned it on.
        onError: retryOr('enteringMaintenance', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    // From here on an abort is not honoured: the run rolls forward to a clean end.
    promoting: {
      invoke: {
        id: 'promote',
        src: 'promote',
        input: ({ context }) => ({
          app: context.targetApp,
          fork: context.fork ?? { id: '', name: context.forkName },
          oldDatabase: context.oldDatabase,
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
        // Compensation reads Heroku first: if DATABASE already moved to the fork it rolls forward.
        onError: retryOr('promoting', { target: 'compensating', actions: 'recordFailure' }),
      },
    },

    // Every path that may have turned maintenance on comes through here before it ends or cleans
    // up; where it goes next follows from the context, as compensation would have decided.
    leavingMaintenance: {
      invoke: {
        id: 'leaveMaintenance',
        src: 'leaveMaintenance',
        input: ({ context }) => ({ app: context.targetApp }),
        onDone: [
          { guard: 'wasPromoted', target: 'cleaning', actions: ['clearSchedule', 'recordMaintenanceOff'] },
          { guard: 'endsAborted', target: 'aborted', actions: ['clearSchedule', 'recordMaintenanceOff'] },
          { target: 'failed', actions: ['clearSchedule', 'recordMaintenanceOff'] },
        ],
        // Retried while Heroku is down (the window never closes); a refusal ends the run, naming it.
        onError: retryOr('leavingMaintenance', { target: 'failed', actions: 'recordMaintenanceLeftOn' }),
      },
    },

    cleaning: {
      invoke: {
        id: 'cleanup',
        src: 'cleanup',
        input: ({ context }) => ({
          app: context.targetApp,
          forkApp: context.forkApp,
          fork: context.fork ?? { id: '', name: context.forkName },
          attachmentName: context.attachmentName,
          oldDatabase: context.oldDatabase,
          keepOldDatabase: context.releaseFailure !== null,
          ...(context.keepPreviousMs
            ? { keepPrevious: { pipeline: context.pipeline, runId: context.runId, windowMs: context.keepPreviousMs } }
            : {}),
        }),
        onDone: [
          {
            // Staging runs on the verified fork, but its release phase failed there: a human decides.
            guard: 'releasePhaseFailed',
            target: 'failed',
            actions: assign(({ context }) => ({
              notBefore: null,
              error: {
                step: 'promoting',
                message: `promoted ${context.forkName}, but ${context.releaseFailure ?? 'the release phase failed'}; the old database ${context.oldDatabase?.name ?? ''} is kept for a rollback (\`heroku pg:promote\` it back, or destroy it)`,
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

    compensating: {
      invoke: {
        id: 'compensate',
        src: 'compensate',
        input: ({ context }) => ({ app: context.targetApp, forkApp: context.forkApp, forkName: context.forkName }),
        onDone: [
          {
            guard: 'maintenanceToLeave',
            target: 'leavingMaintenance',
            actions: ['clearSchedule', assign(({ event }) => ({ promoted: event.output.promoted }))],
          },
          {
            guard: { type: 'forkWasPromoted', params: ({ event }) => event.output },
            target: 'cleaning',
            actions: ['clearSchedule', assign({ promoted: true })],
          },
          { guard: 'abortWasRequested', target: 'aborted', actions: 'clearSchedule' },
          { target: 'failed', actions: 'clearSchedule' },
        ],
        // A transient failure is retried for ever (its window never closes); only a refusal
        // that no retry can change (a revoked token, say) ends the run, naming the leftover.
        onError: [
          retryIn('compensating'),
          { guard: 'maintenanceToLeave', target: 'leavingMaintenance', actions: 'recordLeftover' },
          { target: 'failed', actions: 'recordLeftover' },
        ],
      },
    },

    succeeded: { type: 'final' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
});

export type RefreshMachine = typeof refreshMachine;
export type FinalState = 'succeeded' | 'failed' | 'aborted';

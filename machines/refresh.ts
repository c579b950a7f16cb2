// The nightly refresh as an explicit state machine: no I/O here. Each step invokes a named
// effect (implemented in src/steps, executed by src/runner after the snapshot that starts it
// is persisted). Waits and retries are data (`notBefore`), never xstate `after` delays, which
// are lost on restore (xstate#5331).
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
  PreflightInput,
  PreflightOutput,
  PromoteInput,
  PromoteOutput,
  StepFailure,
  VerifyInput,
  VerifyOutput,
  WaitForForkInput,
  WaitForForkOutput,
} from '../src/steps/types.js';
import { attachmentNameFor, forkNameFor } from '../src/steps/names.js';

/** Bump when a state, invoke id or context field changes meaning: old snapshots are then refused. */
export const MACHINE_VERSION = 2;

/** How many times one step is tried when its failure is transient. */
export const MAX_ATTEMPTS = 5;

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
  /** First retry delay; doubles per attempt, capped at 64×. */
  retryBaseMs: number;
}

export interface RefreshContext extends RefreshInput {
  /** Deterministic from the run id: the look-up key that makes fork creation idempotent. */
  forkName: string;
  attachmentName: string;
  source: AddonRef | null;
  oldDatabase: AddonRef | null;
  fork: CreateForkOutput | null;
  wait: { polls: number; notFound: number; startedAt: number | null; message: string | null };
  /** Tries so far per step, counting failures only. */
  attempts: Record<string, number>;
  /** Epoch ms before which the runner must not start the current step's effect. */
  notBefore: number | null;
  promoted: boolean;
  /** Set when the target's release phase failed after promotion (the run then ends failed). */
  releaseFailure: string | null;
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

export const refreshMachine = setup({
  types: {
    context: {} as RefreshContext,
    input: {} as RefreshInput,
    events: {} as RefreshEvent,
  },
  actors: {
    preflight: effect<PreflightInput, PreflightOutput>(),
    createFork: effect<CreateForkInput, CreateForkOutput>(),
    waitForFork: effect<WaitForForkInput, WaitForForkOutput>(),
    anonymize: effect<AnonymizeInput, AnonymizeOutput>(),
    verify: effect<VerifyInput, VerifyOutput>(),
    promote: effect<PromoteInput, PromoteOutput>(),
    cleanup: effect<CleanupInput, CleanupOutput>(),
    compensate: effect<CompensateInput, CompensateOutput>(),
  },
  guards: {
    mayRetry: ({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      return failure.retryable && (context.attempts[failure.step] ?? 0) + 1 < MAX_ATTEMPTS;
    },
    forkIsAvailable: (_, output: WaitForForkOutput) => output.available,
    forkWasPromoted: (_, output: CompensateOutput) => output.promoted,
    abortWasRequested: ({ context }) => context.abortRequested,
    releasePhaseFailed: ({ context }) => context.releaseFailure !== null,
  },
  actions: {
    scheduleRetry: assign(({ context, event }) => {
      const failure = failureOf(event as ErrorEvent);
      const attempt = (context.attempts[failure.step] ?? 0) + 1;
      return {
        attempts: { ...context.attempts, [failure.step]: attempt },
        notBefore: failure.at + context.retryBaseMs * 2 ** Math.min(attempt - 1, 6),
      };
    }),
    recordFailure: assign(({ event }) => ({ error: failureOf(event as ErrorEvent), notBefore: null })),
    recordAbort: assign(({ context }) => ({
      abortRequested: true,
      notBefore: null,
      error: context.error ?? { step: 'abort', message: 'aborted on request', code: 'aborted', retryable: false, at: 0 },
    })),
    clearSchedule: assign({ notBefore: null }),
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
    notBefore: null,
    promoted: false,
    releaseFailure: null,
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
        onError: [
          { guard: 'mayRetry', target: 'preflight', reenter: true, actions: 'scheduleRetry' },
          { target: 'failed', actions: 'recordFailure' },
        ],
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
        onError: [
          { guard: 'mayRetry', target: 'forking', reenter: true, actions: 'scheduleRetry' },
          { target: 'compensating', actions: 'recordFailure' },
        ],
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
              wait: {
                polls: context.wait.polls + 1,
                notFound: event.output.notFound,
                startedAt: context.wait.startedAt ?? event.output.observedAt,
                message: event.output.message,
              },
            })),
          },
        ],
        onError: [
          { guard: 'mayRetry', target: 'waiting', reenter: true, actions: 'scheduleRetry' },
          { target: 'compensating', actions: 'recordFailure' },
        ],
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
        onDone: { target: 'verifying', actions: 'clearSchedule' },
        onError: [
          { guard: 'mayRetry', target: 'anonymizing', reenter: true, actions: 'scheduleRetry' },
          { target: 'compensating', actions: 'recordFailure' },
        ],
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
        onDone: { target: 'promoting', actions: 'clearSchedule' },
        // Final whatever went wrong: a check that could not run (a lost connection too) fails closed (docs/failure.md#retries).
        onError: [
          { guard: 'mayRetry', target: 'verifying', reenter: true, actions: 'scheduleRetry' },
          { target: 'compensating', actions: 'recordFailure' },
        ],
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
        onDone: {
          target: 'cleaning',
          actions: ['clearSchedule', assign(({ event }) => ({ promoted: true, releaseFailure: event.output.releaseFailure }))],
        },
        // Compensation reads Heroku first: if DATABASE already moved to the fork it rolls forward.
        onError: [
          { guard: 'mayRetry', target: 'promoting', reenter: true, actions: 'scheduleRetry' },
          { target: 'compensating', actions: 'recordFailure' },
        ],
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
        onError: [
          { guard: 'mayRetry', target: 'cleaning', reenter: true, actions: 'scheduleRetry' },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
    },

    compensating: {
      invoke: {
        id: 'compensate',
        src: 'compensate',
        input: ({ context }) => ({ app: context.targetApp, forkApp: context.forkApp, forkName: context.forkName }),
        onDone: [
          {
            guard: { type: 'forkWasPromoted', params: ({ event }) => event.output },
            target: 'cleaning',
            actions: ['clearSchedule', assign({ promoted: true })],
          },
          { guard: 'abortWasRequested', target: 'aborted', actions: 'clearSchedule' },
          { target: 'failed', actions: 'clearSchedule' },
        ],
        onError: [
          { guard: 'mayRetry', target: 'compensating', reenter: true, actions: 'scheduleRetry' },
          {
            target: 'failed',
            actions: assign(({ context, event }) => {
              const failure = failureOf(event as ErrorEvent);
              const cause = context.error ? ` (after: ${context.error.step}: ${context.error.message})` : '';
              return {
                notBefore: null,
                error: { ...failure, message: `${failure.message}; the fork ${context.forkName} may remain: run \`refork gc\`${cause}` },
              };
            }),
          },
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

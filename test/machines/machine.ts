// The machine driven through xstate's pure transition API, restored from JSON before every
// step as a process restart would: shared by the machine's test files.
import { initialTransition, transition } from 'xstate';
import { MACHINE_VERSION, refreshMachine, type RefreshInput } from '../../machines/refresh.js';
import { persist, restore, type RefreshSnapshot } from '../../src/runner/snapshot.js';
import type { StepFailure } from '../../src/steps/types.js';

export const input: RefreshInput = {
  runId: '0f3c2a1b-aaaa-4bbb-8ccc-123456789012',
  pipeline: 'staging',
  sourceApp: 'acme-prod',
  sourceDatabase: 'DATABASE',
  targetApp: 'acme-staging',
  forkApp: 'acme-refork',
  plan: 'heroku-postgresql:standard-0',
  fast: false,
  maxWaitMinutes: 60,
  retry: { baseMs: 1000, maxMs: 8000, windowMinutes: 120 },
  maintenanceMode: false,
};

export const MINUTE = 60_000;

export const source = { id: 'src-id', name: 'postgresql-prod-1', app: 'acme-prod' };
export const old = { id: 'old-id', name: 'postgresql-stg-1', app: 'acme-staging' };
export const fork = { id: 'fork-id', name: 'refork-staging-0f3c2a1baaaa' };

export type Event = Parameters<typeof transition<typeof refreshMachine>>[2];
export const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as Event;
export const fail = (id: string, failure: Partial<StepFailure>) =>
  ({
    type: `xstate.error.actor.${id}`,
    error: { step: id, message: 'boom', code: 'x', retryable: false, at: 1_000, ...failure },
  }) as unknown as Event;

/** Persist → JSON → restore before every step, as a process restart would. */
export function step(snapshot: RefreshSnapshot, event: Event): RefreshSnapshot {
  const restored = restore(JSON.parse(JSON.stringify(persist(snapshot))), MACHINE_VERSION);
  return transition(refreshMachine, restored, event)[0];
}

/** A run through verification: promoting next (or entering maintenance, with maintenance mode). */
export function toPromoting(runInput: RefreshInput = input): RefreshSnapshot {
  let s = initialTransition(refreshMachine, runInput)[0];
  s = step(s, done('preflight', { source, oldDatabase: old }));
  s = step(s, done('createFork', fork));
  s = step(s, done('waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 5, nextPollAt: 5 }));
  s = step(s, done('anonymize', { tables: 3, rows: 10, skipped: 0 }));
  s = step(s, done('fixUp', { statements: [] }));
  return step(s, done('verify', { checks: 3 }));
}

// The machine alone, through xstate's pure transition API (the same one the runner uses):
// which effect each state asks for, where failures lead, and that snapshots survive JSON.
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { MAX_ATTEMPTS, forkNameFor, refreshMachine, type RefreshInput } from '../../machines/refresh.js';
import { pendingEffect, persist, restore, stateOf, type RefreshSnapshot } from '../../src/runner/snapshot.js';
import { MACHINE_VERSION } from '../../machines/refresh.js';
import type { StepFailure } from '../../src/steps/types.js';

const input: RefreshInput = {
  runId: '0f3c2a1b-aaaa-4bbb-8ccc-123456789012',
  pipeline: 'staging',
  sourceApp: 'acme-prod',
  sourceDatabase: 'DATABASE',
  targetApp: 'acme-staging',
  forkApp: 'acme-refork',
  plan: 'heroku-postgresql:standard-0',
  fast: false,
  maxWaitMinutes: 60,
  retryBaseMs: 1000,
};

const source = { id: 'src-id', name: 'postgresql-prod-1', app: 'acme-prod' };
const old = { id: 'old-id', name: 'postgresql-stg-1', app: 'acme-staging' };
const fork = { id: 'fork-id', name: 'refork-staging-0f3c2a1baaaa' };

type Event = Parameters<typeof transition<typeof refreshMachine>>[2];
const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as Event;
const fail = (id: string, failure: Partial<StepFailure>) =>
  ({
    type: `xstate.error.actor.${id}`,
    error: { step: id, message: 'boom', code: 'x', retryable: false, at: 1_000, ...failure },
  }) as unknown as Event;

/** Persist → JSON → restore before every step, as a process restart would. */
function step(snapshot: RefreshSnapshot, event: Event): RefreshSnapshot {
  const restored = restore(JSON.parse(JSON.stringify(persist(snapshot))), MACHINE_VERSION);
  return transition(refreshMachine, restored, event)[0];
}

function toPromoting(): RefreshSnapshot {
  let s = initialTransition(refreshMachine, input)[0];
  s = step(s, done('preflight', { source, oldDatabase: old }));
  s = step(s, done('createFork', fork));
  s = step(s, done('waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 5, nextPollAt: 5 }));
  s = step(s, done('anonymize', { tables: 3, rows: 10, skipped: 0 }));
  return step(s, done('verify', { checks: 3 }));
}

describe('refresh machine', () => {
  it('names the fork deterministically from the pipeline and run id', () => {
    const [s] = initialTransition(refreshMachine, input);
    expect(s.context.forkName).toBe(forkNameFor('staging', input.runId));
    expect(s.context.forkName).toMatch(/^[a-z][a-z0-9-]+$/);
    expect(s.context.attachmentName).toMatch(/^REFORK_[0-9A-F]{8}$/);
  });

  it('walks the happy path, asking for each effect with the input it needs', () => {
    let s = initialTransition(refreshMachine, input)[0];
    expect(pendingEffect(s)).toMatchObject({
      src: 'preflight',
      input: { sourceApp: 'acme-prod', targetApp: 'acme-staging', forkApp: 'acme-refork' },
    });
    s = step(s, done('preflight', { source, oldDatabase: old }));
    expect(pendingEffect(s)).toMatchObject({ src: 'createFork', input: { forkFrom: 'postgresql-prod-1', name: s.context.forkName } });
    s = step(s, done('createFork', fork));
    expect(pendingEffect(s)).toMatchObject({ src: 'waitForFork', input: { forkId: 'fork-id', polls: 0 } });
    s = step(s, done('waitForFork', { available: false, message: 'preparing', notFound: 1, observedAt: 100, nextPollAt: 5_100 }));
    expect(stateOf(s)).toBe('waiting');
    expect(s.context.notBefore).toBe(5_100);
    expect(s.context.wait).toMatchObject({ polls: 1, notFound: 1, startedAt: 100, message: 'preparing' });
    expect(pendingEffect(s)).toMatchObject({ src: 'waitForFork', input: { polls: 1, notFound: 1, startedAt: 100 } });
    s = step(s, done('waitForFork', { available: true, message: 'available', notFound: 1, observedAt: 9_000, nextPollAt: 9_000 }));
    expect(stateOf(s)).toBe('anonymizing');
    expect(s.context.notBefore).toBeNull();
    s = step(s, done('anonymize', { tables: 3, rows: 10, skipped: 0 }));
    s = step(s, done('verify', { checks: 3 }));
    expect(pendingEffect(s)).toMatchObject({ src: 'promote', input: { fork, oldDatabase: old } });
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(s.context.promoted).toBe(true);
    expect(pendingEffect(s)).toMatchObject({ src: 'cleanup', input: { oldDatabase: old, attachmentName: s.context.attachmentName } });
    s = step(s, done('cleanup', { oldDatabase: 'destroyed' }));
    expect(stateOf(s)).toBe('succeeded');
    expect(s.status).toBe('done');
    expect(pendingEffect(s)).toBeNull();
  });

  it('keeps the fork on the fork app until promotion attaches it to the target', () => {
    const apps: Record<string, unknown> = {};
    let s = initialTransition(refreshMachine, input)[0];
    const outputs: Array<[string, unknown]> = [
      ['preflight', { source, oldDatabase: old }],
      ['createFork', fork],
      ['waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 1, nextPollAt: 1 }],
      ['anonymize', { tables: 1, rows: 1, skipped: 0 }],
      ['verify', { checks: 1 }],
      ['promote', { promoted: true, releaseFailure: null }],
      ['cleanup', { oldDatabase: 'destroyed' }],
    ];
    for (const [id, output] of outputs) {
      const pending = pendingEffect(s);
      const { app, forkApp } = (pending?.input ?? {}) as { app?: string; forkApp?: string };
      apps[id] = forkApp === undefined ? app : { app, forkApp };
      s = step(s, done(id, output));
    }
    expect(apps).toEqual({
      preflight: { app: undefined, forkApp: 'acme-refork' },
      createFork: 'acme-refork',
      waitForFork: 'acme-refork',
      anonymize: 'acme-refork',
      verify: 'acme-refork',
      promote: 'acme-staging',
      cleanup: { app: 'acme-staging', forkApp: 'acme-refork' },
    });
    const failed = step(
      step(initialTransition(refreshMachine, input)[0], done('preflight', { source, oldDatabase: old })),
      fail('createFork', {}),
    );
    expect(pendingEffect(failed)).toMatchObject({ src: 'compensate', input: { app: 'acme-staging', forkApp: 'acme-refork' } });
  });

  it('retries a transient failure in place, later each time, up to the attempt limit', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    const delays: number[] = [];
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      s = step(s, fail('createFork', { step: 'forking', retryable: true, at: 1_000 }));
      expect(stateOf(s)).toBe('forking');
      expect(pendingEffect(s)?.src).toBe('createFork');
      delays.push((s.context.notBefore ?? 0) - 1_000);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    s = step(s, fail('createFork', { step: 'forking', retryable: true }));
    expect(stateOf(s)).toBe('compensating');
    expect(s.context.error).toMatchObject({ step: 'forking', message: 'boom' });
  });

  it('does not compensate a failed preflight: nothing exists yet', () => {
    const s = step(initialTransition(refreshMachine, input)[0], fail('preflight', { step: 'preflight', message: 'no such app' }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toBe('no such app');
  });

  it.each(['createFork', 'waitForFork', 'anonymize', 'verify'] as const)('compensates when %s fails for good', (effect) => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    const path: Array<[string, unknown]> = [
      ['createFork', fork],
      ['waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 1, nextPollAt: 1 }],
      ['anonymize', { tables: 1, rows: 1, skipped: 0 }],
    ];
    for (const [id, output] of path) {
      if (id === effect) break;
      s = step(s, done(id, output));
    }
    s = step(s, fail(effect, { retryable: false }));
    expect(stateOf(s)).toBe('compensating');
    expect(pendingEffect(s)).toMatchObject({ src: 'compensate', input: { forkName: s.context.forkName } });
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('failed');
  });

  it('rolls forward to cleanup when compensation finds the fork already promoted', () => {
    let s = toPromoting();
    s = step(s, fail('promote', { retryable: false, message: 'answer lost' }));
    expect(stateOf(s)).toBe('compensating');
    s = step(s, done('compensate', { promoted: true, destroyed: false }));
    expect(stateOf(s)).toBe('cleaning');
    expect(s.context.promoted).toBe(true);
  });

  it('aborts before promotion through compensation, and ends aborted', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, done('createFork', fork));
    s = step(s, { type: 'ABORT' });
    expect(stateOf(s)).toBe('compensating');
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('aborted');
  });

  it('ignores an abort once promotion has started', () => {
    const s = step(toPromoting(), { type: 'ABORT' });
    expect(stateOf(s)).toBe('promoting');
  });

  it('says the fork may remain when compensation itself fails for good', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, fail('createFork', { message: 'plan not available' }));
    s = step(s, fail('compensate', { message: 'unauthorized' }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toContain('refork gc');
    expect(s.context.error?.message).toContain('plan not available');
  });

  it('refuses a snapshot from another machine version', () => {
    const [s] = initialTransition(refreshMachine, input);
    expect(() => restore(persist(s), MACHINE_VERSION + 1)).toThrow(/machine version/);
  });
});

describe('refresh machine after a failed release phase', () => {
  it('keeps the old database and ends failed, naming the rollback', () => {
    let s = toPromoting();
    s = step(s, done('promote', { promoted: true, releaseFailure: 'the release phase of v9 failed' }));
    expect(pendingEffect(s)).toMatchObject({ src: 'cleanup', input: { keepOldDatabase: true } });
    s = step(s, done('cleanup', { oldDatabase: 'kept' }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toMatch(/release phase of v9 failed; the old database postgresql-stg-1 is kept for a rollback/);
  });
});

// The machine alone, through xstate's pure transition API (the same one the runner uses):
// which effect each state asks for, where failures lead, and that snapshots survive JSON.
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { PREFLIGHT_WINDOW_MS, forkNameFor, refreshMachine } from '../../machines/refresh.js';
import { pendingEffect, persist, restore, stateOf, type RefreshSnapshot } from '../../src/runner/snapshot.js';
import { MACHINE_VERSION } from '../../machines/refresh.js';
import { MINUTE, done, fail, fork, input, old, source, step, toPromoting } from './machine.js';
import type { PersistedSnapshot } from '../../src/store/types.js';
import v3Anonymizing from './fixtures/v3-anonymizing.json' with { type: 'json' };

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
    expect(pendingEffect(s)).toMatchObject({ src: 'fixUp', input: { app: 'acme-refork', forkId: 'fork-id', runId: input.runId } });
    s = step(
      s,
      done('fixUp', { statements: [{ ordinal: 1, digest: '0123456789abcdef', rows: 2, tables: ['public.users'], resumed: false }] }),
    );
    expect(stateOf(s)).toBe('verifying');
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
      ['fixUp', { statements: [] }],
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
      fixUp: 'acme-refork',
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

  it('retries a transient failure in place, later each time, up to a steady pace', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      s = step(s, fail('createFork', { step: 'forking', retryable: true, at: 1_000 }));
      expect(stateOf(s)).toBe('forking');
      expect(pendingEffect(s)?.src).toBe('createFork');
      delays.push((s.context.notBefore ?? 0) - 1_000);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(s.context.failing).toMatchObject({ step: 'forking', failures: 6, since: 1_000, closesAt: 1_000 + 60 * MINUTE });
    expect(s.context.attempts).toEqual({ forking: 6 });
  });

  it('forgets a run of failures once the step succeeds', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, fail('createFork', { step: 'forking', retryable: true, at: 1_000 }));
    s = step(s, done('createFork', fork));
    expect(s.context.failing).toBeNull();
    s = step(s, fail('waitForFork', { step: 'waiting', retryable: true, at: 2_000 }));
    expect(s.context.failing).toMatchObject({ step: 'waiting', failures: 1, since: 2_000 });
    // A poll that answered (not ready yet) is progress too.
    s = step(s, done('waitForFork', { available: false, message: 'preparing', notFound: 0, observedAt: 3_000, nextPollAt: 8_000 }));
    expect(s.context.failing).toBeNull();
    expect(s.context.notBefore).toBe(8_000);
  });

  it('rides out an API outage while waiting until max_wait_minutes from the first poll, then compensates', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, done('createFork', fork));
    s = step(s, done('waitForFork', { available: false, message: 'preparing', notFound: 0, observedAt: 0, nextPollAt: 5_000 }));
    // Heroku answers 503 for 59 minutes: every failure is retried.
    for (let at = 5_000; at < 59 * MINUTE; at += 5 * MINUTE) {
      s = step(s, fail('waitForFork', { step: 'waiting', retryable: true, at, code: 'service_unavailable' }));
      expect(stateOf(s)).toBe('waiting');
    }
    expect(s.context.failing?.closesAt).toBe(60 * MINUTE);
    s = step(s, fail('waitForFork', { step: 'waiting', retryable: true, at: 60 * MINUTE }));
    expect(stateOf(s)).toBe('compensating');
    expect(s.context.error).toMatchObject({ step: 'waiting' });
  });

  it.each([
    ['anonymize', 'anonymizing'],
    ['fixUp', 'fixingUp'],
    ['verify', 'verifying'],
  ] as const)('retries a lost connection while %s for the work window, then compensates', (effect, state) => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, done('createFork', fork));
    s = step(s, done('waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 1, nextPollAt: 1 }));
    if (effect !== 'anonymize') s = step(s, done('anonymize', { tables: 1, rows: 1, skipped: 0 }));
    if (effect === 'verify') s = step(s, done('fixUp', { statements: [] }));
    s = step(s, fail(effect, { step: state, retryable: true, at: 10 * MINUTE }));
    s = step(s, fail(effect, { step: state, retryable: true, at: 129 * MINUTE }));
    expect(stateOf(s)).toBe(state);
    expect(s.context.failing).toMatchObject({ failures: 2, since: 10 * MINUTE, closesAt: 130 * MINUTE });
    s = step(s, fail(effect, { step: state, retryable: true, at: 130 * MINUTE }));
    expect(stateOf(s)).toBe('compensating');
  });

  it('fails preflight fast: at once for a refusal, after a few minutes for a transient error', () => {
    let s = step(initialTransition(refreshMachine, input)[0], fail('preflight', { step: 'preflight', retryable: true, at: 0 }));
    expect(stateOf(s)).toBe('preflight');
    s = step(s, fail('preflight', { step: 'preflight', retryable: true, at: PREFLIGHT_WINDOW_MS - 1 }));
    expect(stateOf(s)).toBe('preflight');
    s = step(s, fail('preflight', { step: 'preflight', retryable: true, at: PREFLIGHT_WINDOW_MS }));
    expect(stateOf(s)).toBe('failed');
  });

  it('never stops retrying a transient failure of compensation', () => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, fail('createFork', { step: 'forking', message: 'plan not available' }));
    for (const hours of [0, 1, 24, 24 * 30]) {
      s = step(s, fail('compensate', { step: 'compensating', retryable: true, at: hours * 60 * MINUTE, code: 'service_unavailable' }));
      expect(stateOf(s)).toBe('compensating');
      expect(s.context.failing?.closesAt).toBeNull();
    }
    expect((s.context.notBefore ?? 0) - 24 * 30 * 60 * MINUTE).toBe(input.retry.maxMs);
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toBe('plan not available');
  });

  it('rolls forward while promoting for the work window, then lets compensation read Heroku', () => {
    let s = toPromoting();
    s = step(s, fail('promote', { step: 'promoting', retryable: true, at: 0 }));
    expect(stateOf(s)).toBe('promoting');
    s = step(s, fail('promote', { step: 'promoting', retryable: true, at: 120 * MINUTE }));
    expect(stateOf(s)).toBe('compensating');
  });

  it('does not compensate a failed preflight: nothing exists yet', () => {
    const s = step(initialTransition(refreshMachine, input)[0], fail('preflight', { step: 'preflight', message: 'no such app' }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toBe('no such app');
  });

  it.each(['createFork', 'waitForFork', 'anonymize', 'fixUp', 'verify'] as const)('compensates when %s fails for good', (effect) => {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    const path: Array<[string, unknown]> = [
      ['createFork', fork],
      ['waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 1, nextPollAt: 1 }],
      ['anonymize', { tables: 1, rows: 1, skipped: 0 }],
      ['fixUp', { statements: [] }],
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

  it('refuses a snapshot from a newer machine version', () => {
    const [s] = initialTransition(refreshMachine, input);
    expect(() => restore(persist(s), MACHINE_VERSION + 1)).toThrow(/machine version/);
  });

  type Stored = { context: Record<string, unknown>; children: Record<string, { snapshot: { input: Record<string, unknown> } }> };

  /** `snapshot` as version 2 stored it: `retryBaseMs` instead of `retry`, no `failing`. */
  function asVersion2(snapshot: RefreshSnapshot): Stored {
    const stored = JSON.parse(JSON.stringify(persist(snapshot))) as Stored;
    const { retry: _retry, failing: _failing, ...context } = stored.context;
    return { ...stored, context: { ...context, retryBaseMs: 50, attempts: { waiting: 2 } } };
  }

  /** `snapshot` as version 1 stored it: version 2's shape without a fork app, the fork on the target. */
  function asVersion1(snapshot: RefreshSnapshot): Stored {
    const stored = asVersion2(snapshot);
    const { forkApp: _forkApp, ...context } = stored.context;
    const children: Stored['children'] = {};
    for (const [id, child] of Object.entries(stored.children)) {
      const { forkApp: _childForkApp, ...input } = child.snapshot.input;
      children[id] = { ...child, snapshot: { ...child.snapshot, input: 'app' in input ? { ...input, app: 'acme-staging' } : input } };
    }
    return { ...stored, context, children };
  }

  function waitingForFork(): RefreshSnapshot {
    let s = initialTransition(refreshMachine, input)[0];
    s = step(s, done('preflight', { source, oldDatabase: old }));
    s = step(s, done('createFork', fork));
    return step(s, done('waitForFork', { available: false, message: 'preparing', notFound: 0, observedAt: 0, nextPollAt: 5_000 }));
  }

  it('continues a run saved by machine version 2 (five attempts) with the default windows', () => {
    const restored = restore(asVersion2(waitingForFork()), 2);
    expect(stateOf(restored)).toBe('waiting');
    expect(restored.context.retry).toMatchObject({ baseMs: 50 });
    expect(restored.context.retry.windowMinutes).toBeGreaterThanOrEqual(60);
    expect(pendingEffect(restored)).toMatchObject({ src: 'waitForFork', input: { forkId: 'fork-id', polls: 1, app: 'acme-refork' } });
    const [next] = transition(refreshMachine, restored, fail('waitForFork', { step: 'waiting', retryable: true, at: 6_000 }));
    expect(stateOf(next)).toBe('waiting');
    expect(next.context.notBefore).toBe(6_050);
  });

  it('continues a run saved by machine version 1 (forks on the target) with the target as its fork app', () => {
    const restored = restore(asVersion1(waitingForFork()), 1);
    expect(restored.context.forkApp).toBe('acme-staging');
    expect(restored.context.retry).toMatchObject({ baseMs: 50 });
    expect(pendingEffect(restored)).toMatchObject({ src: 'waitForFork', input: { app: 'acme-staging' } });
    // A run version 1 left compensating destroys its fork where version 1 made it: on the target.
    const compensating = step(waitingForFork(), fail('waitForFork', { step: 'waiting', retryable: false, at: 6_000 }));
    expect(pendingEffect(restore(asVersion1(compensating), 1))).toMatchObject({
      src: 'compensate',
      input: { app: 'acme-staging', forkApp: 'acme-staging', forkName: compensating.context.forkName },
    });
  });

  it('continues a run saved by machine version 3 in anonymizing, through fixingUp to verifying', () => {
    const stored = v3Anonymizing as unknown as { machineVersion: number; snapshot: PersistedSnapshot };
    const restored = restore(stored.snapshot, stored.machineVersion);
    expect(stateOf(restored)).toBe('anonymizing');
    expect(restored.context.failing).toMatchObject({ step: 'anonymizing', failures: 1 });
    expect(pendingEffect(restored)).toMatchObject({ src: 'anonymize', input: { app: 'acme-refork', forkId: 'fork-id' } });
    let s = step(restored, done('anonymize', { tables: 3, rows: 10, skipped: 0 }));
    expect(pendingEffect(s)).toMatchObject({ src: 'fixUp', input: { app: 'acme-refork', forkId: 'fork-id', runId: input.runId } });
    expect(s.context.failing).toBeNull();
    s = step(s, done('fixUp', { statements: [] }));
    expect(pendingEffect(s)).toMatchObject({ src: 'verify' });
  });

  it('asks the machine whether an abort is still honoured', () => {
    let s = initialTransition(refreshMachine, input)[0];
    expect(s.can({ type: 'ABORT' })).toBe(true);
    s = toPromoting();
    expect(s.can({ type: 'ABORT' })).toBe(false);
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

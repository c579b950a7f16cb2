// The rollback machine alone, through xstate's pure transition API and a JSON round trip before
// every step (as a restart would), and the refresh snapshots saved before the rollback window
// (machine version 3, no `keepPreviousMs`) resuming under it.
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { MACHINE_VERSION, refreshMachine, type RefreshInput } from '../../machines/refresh.js';
import { ROLLBACK_MACHINE_VERSION, rollbackMachine, type RollbackInput } from '../../machines/rollback.js';
import { nextSnapshot, pendingEffect, persist, restore, stateOf, statusOf, type RunSnapshot } from '../../src/runner/snapshot.js';
import type { StepFailure } from '../../src/steps/types.js';

const input: RollbackInput = {
  runId: '7a1c2a1b-aaaa-4bbb-8ccc-123456789012',
  pipeline: 'staging',
  targetApp: 'acme-staging',
  forkApp: 'acme-refork',
  keepPreviousMs: 3_600_000,
  retry: { baseMs: 1000, maxMs: 8000, windowMinutes: 120 },
  maintenanceMode: false,
};
const previous = { id: 'prev-id', name: 'postgresql-stg-1', app: 'acme-staging' };
const current = { id: 'fork-id', name: 'refork-staging-0f3c2a1baaaa', app: 'acme-refork' };

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output });
const fail = (id: string, failure: Partial<StepFailure>) => ({
  type: `xstate.error.actor.${id}`,
  error: { step: id, message: 'boom', code: 'x', retryable: false, at: 1_000, ...failure },
});

function step(snapshot: RunSnapshot, event: { type: string }): RunSnapshot {
  const restored = restore(JSON.parse(JSON.stringify(persist(snapshot))), ROLLBACK_MACHINE_VERSION, 'rollback');
  return nextSnapshot(restored, event);
}

const start = (): RunSnapshot => initialTransition(rollbackMachine, input)[0];
const startInMaintenance = (): RunSnapshot => initialTransition(rollbackMachine, { ...input, maintenanceMode: true })[0];

/** Reserved, looked (staging open), maintenance turned on: the run is promoting. */
function promotingInMaintenance(): RunSnapshot {
  let s = step(startInMaintenance(), done('reservePrevious', { previous, current }));
  s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
  return step(s, done('enterMaintenance', { found: false, on: true, at: 11 }));
}

describe('rollback machine', () => {
  it('reserves, promotes the previous database with the refresh’s own effect, cleans up, succeeds', () => {
    let s = start();
    expect(pendingEffect(s)).toMatchObject({
      src: 'reservePrevious',
      input: { app: 'acme-staging', pipeline: 'staging', runId: input.runId },
    });
    s = step(s, done('reservePrevious', { previous, current }));
    expect(pendingEffect(s)).toMatchObject({ src: 'promote', input: { app: 'acme-staging', fork: previous, oldDatabase: current } });
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(pendingEffect(s)).toMatchObject({
      src: 'cleanupRollback',
      input: { previous, current, keepPreviousMs: 3_600_000, releaseFailed: false, forkApp: 'acme-refork' },
    });
    s = step(s, done('cleanupRollback', { rolledBackFrom: 'kept' }));
    expect(statusOf(s)).toBe('succeeded');
  });

  it('fails through releasing when there is nothing to roll back to, giving back what it reserved', () => {
    let s = step(start(), fail('reservePrevious', { step: 'reserving', code: 'window_expired', message: 'the rollback window ended' }));
    expect(stateOf(s)).toBe('releasing');
    expect(pendingEffect(s)).toMatchObject({ src: 'releaseRollback', input: { previous: null, promotionStarted: false } });
    s = step(s, done('releaseRollback', { promoted: false }));
    expect(statusOf(s)).toBe('failed');
    expect(s.context.error).toMatchObject({ code: 'window_expired' });
  });

  it('retries a transient promotion failure, then rolls forward when releasing finds DATABASE moved', () => {
    let s = step(start(), done('reservePrevious', { previous, current }));
    s = step(s, fail('promote', { step: 'promoting', retryable: true, at: 5_000 }));
    expect(stateOf(s)).toBe('promoting');
    expect(s.context.notBefore).toBe(6_000);
    s = step(s, fail('promote', { step: 'promoting', retryable: false, at: 7_000 }));
    expect(stateOf(s)).toBe('releasing');
    expect(pendingEffect(s)).toMatchObject({ input: { previous, promotionStarted: true } });
    s = step(s, done('releaseRollback', { promoted: true }));
    expect(stateOf(s)).toBe('cleaning');
  });

  it('honours an abort before the promotion only', () => {
    let s = start();
    expect(s.can({ type: 'ABORT' })).toBe(true);
    s = step(s, { type: 'ABORT' });
    expect(stateOf(s)).toBe('releasing');
    s = step(s, done('releaseRollback', { promoted: false }));
    expect(statusOf(s)).toBe('aborted');
    const promoting = step(start(), done('reservePrevious', { previous, current }));
    expect(promoting.can({ type: 'ABORT' })).toBe(false);
  });
});

describe('rollback with maintenance mode', () => {
  it('looks, turns maintenance on just before the swap, off once the release phase is over, then cleans up', () => {
    let s = step(startInMaintenance(), done('reservePrevious', { previous, current }));
    expect(stateOf(s)).toBe('enteringMaintenance');
    expect(pendingEffect(s)).toMatchObject({ src: 'enterMaintenance', input: { app: 'acme-staging', found: null } });
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    // What it found is persisted before anything is changed.
    expect(stateOf(s)).toBe('enteringMaintenance');
    expect(pendingEffect(s)).toMatchObject({ src: 'enterMaintenance', input: { found: false } });
    s = step(s, done('enterMaintenance', { found: false, on: true, at: 11 }));
    expect(stateOf(s)).toBe('promoting');
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    expect(pendingEffect(s)).toMatchObject({ src: 'leaveMaintenance', input: { app: 'acme-staging' } });
    s = step(s, done('leaveMaintenance', { on: false, at: 20 }));
    expect(stateOf(s)).toBe('cleaning');
    expect(s.context.maintenance).toEqual({ found: false, onAt: 11, offAt: 20 });
    s = step(s, done('cleanupRollback', { rolledBackFrom: 'kept' }));
    expect(statusOf(s)).toBe('succeeded');
  });

  it('leaves a window of the owner’s own alone, on success and after a failed promotion', () => {
    let s = step(startInMaintenance(), done('reservePrevious', { previous, current }));
    s = step(s, done('enterMaintenance', { found: true, on: true, at: 10 }));
    expect(stateOf(s)).toBe('promoting');
    const promoted = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(stateOf(promoted)).toBe('cleaning');
    s = step(s, fail('promote', { step: 'promoting' }));
    s = step(s, done('releaseRollback', { promoted: false }));
    expect(statusOf(s)).toBe('failed');
  });

  it('after a promotion that failed for good: gives the reservation back, leaves maintenance, fails', () => {
    let s = step(promotingInMaintenance(), fail('promote', { step: 'promoting', code: 'forbidden' }));
    expect(stateOf(s)).toBe('releasing');
    s = step(s, done('releaseRollback', { promoted: false }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 30 }));
    expect(statusOf(s)).toBe('failed');
    expect(s.context.error).toMatchObject({ code: 'forbidden' });
  });

  it('rolls forward through leavingMaintenance when releasing finds DATABASE moved', () => {
    let s = step(promotingInMaintenance(), fail('promote', { step: 'promoting' }));
    s = step(s, done('releaseRollback', { promoted: true }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 30 }));
    expect(stateOf(s)).toBe('cleaning');
  });

  it('an abort while entering maintenance gives the reservation back and leaves maintenance', () => {
    let s = step(startInMaintenance(), done('reservePrevious', { previous, current }));
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    s = step(s, { type: 'ABORT' });
    expect(stateOf(s)).toBe('releasing');
    s = step(s, done('releaseRollback', { promoted: false }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 30 }));
    expect(statusOf(s)).toBe('aborted');
  });

  it('retries leaving while Heroku is down; a refusal after the swap still cleans up, then fails naming the fix', () => {
    let s = step(promotingInMaintenance(), done('promote', { promoted: true, releaseFailure: null }));
    s = step(s, fail('leaveMaintenance', { step: 'leavingMaintenance', retryable: true, at: 1_000_000_000 }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    expect(s.context.failing?.closesAt).toBeNull();
    s = step(s, fail('leaveMaintenance', { step: 'leavingMaintenance', code: 'forbidden', message: 'not allowed' }));
    expect(stateOf(s)).toBe('cleaning');
    s = step(s, done('cleanupRollback', { rolledBackFrom: 'kept' }));
    expect(statusOf(s)).toBe('failed');
    expect(s.context.error?.message).toContain('acme-staging is still in maintenance: `heroku maintenance:off -a acme-staging`');
  });

  it('resumes a rollback saved by machine version 1 without maintenance mode, whatever the config says now', () => {
    expect(ROLLBACK_MACHINE_VERSION).toBe(2);
    const promoting = persist(step(start(), done('reservePrevious', { previous, current })));
    const context = { ...(promoting.context as Record<string, unknown>) };
    delete context.maintenanceMode;
    delete context.maintenance;
    const resumed = restore({ ...promoting, context }, 1, 'rollback');
    expect(stateOf(resumed)).toBe('promoting');
    expect(pendingEffect(resumed)).toMatchObject({ src: 'promote', input: { fork: previous, oldDatabase: current } });
    expect(stateOf(nextSnapshot(resumed, done('promote', { promoted: true, releaseFailure: null })))).toBe('cleaning');
  });
});

describe('a refresh saved before the rollback window', () => {
  const refresh: Omit<RefreshInput, 'keepPreviousMs'> = {
    runId: '0f3c2a1b-aaaa-4bbb-8ccc-123456789012',
    pipeline: 'staging',
    sourceApp: 'acme-prod',
    sourceDatabase: 'DATABASE',
    targetApp: 'acme-staging',
    forkApp: 'acme-staging',
    plan: 'heroku-postgresql:standard-0',
    fast: false,
    maxWaitMinutes: 60,
    retry: { baseMs: 1000, maxMs: 8000, windowMinutes: 120 },
    maintenanceMode: false,
  };

  it('resumes in cleaning without a window and destroys the old database as it would have', () => {
    let s = initialTransition(refreshMachine, refresh)[0];
    const old = { id: 'old-id', name: 'postgresql-stg-1', app: 'acme-staging' };
    s = transition(refreshMachine, s, done('preflight', { source: old, oldDatabase: old }) as never)[0];
    s = transition(refreshMachine, s, done('createFork', { id: 'f', name: 'refork-staging-0f3c2a1baaaa' }) as never)[0];
    s = transition(
      refreshMachine,
      s,
      done('waitForFork', { available: true, message: '', notFound: 0, observedAt: 1, nextPollAt: 1 }) as never,
    )[0];
    s = transition(refreshMachine, s, done('anonymize', { tables: 1, rows: 1, skipped: 0 }) as never)[0];
    s = transition(refreshMachine, s, done('fixUp', { statements: [] }) as never)[0];
    s = transition(refreshMachine, s, done('verify', { checks: 1 }) as never)[0];
    s = transition(refreshMachine, s, done('promote', { promoted: true, releaseFailure: null }) as never)[0];
    const stored = JSON.parse(JSON.stringify(persist(s))) as Record<string, unknown>;
    expect(JSON.stringify(stored)).not.toContain('keepPrevious');
    const resumed = restore(stored, MACHINE_VERSION);
    expect(stateOf(resumed)).toBe('cleaning');
    const pending = pendingEffect(resumed);
    expect(pending).toMatchObject({ src: 'cleanup', input: { oldDatabase: old, keepOldDatabase: false } });
    expect(pending?.input).not.toHaveProperty('keepPrevious');
    expect(statusOf(nextSnapshot(resumed, done('cleanup', { oldDatabase: 'destroyed' })))).toBe('succeeded');
  });
});

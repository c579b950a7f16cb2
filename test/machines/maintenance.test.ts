// Maintenance mode around the swap, in the machine alone: where it is entered and left on every
// path (success, a failed promotion, a failed release phase, an abort, compensation failing),
// a window of the owner's own left alone, and runs saved by machine version 3 resumed in any state.
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { MACHINE_VERSION, STEPS, refreshMachine } from '../../machines/refresh.js';
import { pendingEffect, persist, restore, stateOf, type RefreshSnapshot } from '../../src/runner/snapshot.js';
import { done, fail, fork, input, old, source, step, toPromoting } from './machine.js';

const withMaintenance = { ...input, maintenanceMode: true };

const verifiedWithMaintenance = () => toPromoting(withMaintenance);

/** Looked and found staging open, then turned maintenance on: the run is promoting. */
function promotingInMaintenance(): RefreshSnapshot {
  let s = verifiedWithMaintenance();
  s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
  return step(s, done('enterMaintenance', { found: false, on: true, at: 11 }));
}

describe('maintenance mode around the swap', () => {
  it('without it, verifying leads straight to promoting and no maintenance step is asked for', () => {
    expect(initialTransition(refreshMachine, input)[0].context.maintenance).toBeNull();
    let s = toPromoting();
    expect(stateOf(s)).toBe('promoting');
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(stateOf(s)).toBe('cleaning');
  });

  it('looks, then turns maintenance on, promotes, turns it off once the release phase is over, then cleans up', () => {
    let s = verifiedWithMaintenance();
    expect(stateOf(s)).toBe('enteringMaintenance');
    expect(pendingEffect(s)).toMatchObject({ src: 'enterMaintenance', input: { app: 'acme-staging', found: null } });
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    // What it found is persisted before anything is changed.
    expect(stateOf(s)).toBe('enteringMaintenance');
    expect(s.context.maintenance).toEqual({ found: false, onAt: null, offAt: null });
    expect(pendingEffect(s)).toMatchObject({ src: 'enterMaintenance', input: { found: false } });
    s = step(s, done('enterMaintenance', { found: false, on: true, at: 11 }));
    expect(stateOf(s)).toBe('promoting');
    expect(s.context.maintenance).toEqual({ found: false, onAt: 11, offAt: null });
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    expect(pendingEffect(s)).toMatchObject({ src: 'leaveMaintenance', input: { app: 'acme-staging' } });
    s = step(s, done('leaveMaintenance', { on: false, at: 20 }));
    expect(stateOf(s)).toBe('cleaning');
    expect(s.context.maintenance).toEqual({ found: false, onAt: 11, offAt: 20 });
    s = step(s, done('cleanup', { oldDatabase: 'destroyed' }));
    expect(stateOf(s)).toBe('succeeded');
  });

  it('leaves a maintenance window of the owner’s own alone: never turned off by refork', () => {
    let s = verifiedWithMaintenance();
    s = step(s, done('enterMaintenance', { found: true, on: true, at: 10 }));
    expect(stateOf(s)).toBe('promoting');
    expect(s.context.maintenance).toEqual({ found: true, onAt: 10, offAt: null });
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    expect(stateOf(s)).toBe('cleaning');
    // ... nor after a failure and compensation.
    let failed = verifiedWithMaintenance();
    failed = step(failed, done('enterMaintenance', { found: true, on: true, at: 10 }));
    failed = step(failed, fail('promote', { step: 'promoting', message: 'forbidden' }));
    failed = step(failed, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(failed)).toBe('failed');
  });

  it('after a failed release phase: maintenance off, then the old database kept and the run failed', () => {
    let s = promotingInMaintenance();
    s = step(s, done('promote', { promoted: true, releaseFailure: 'the release phase of v9 failed' }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 20 }));
    expect(pendingEffect(s)).toMatchObject({ src: 'cleanup', input: { keepOldDatabase: true } });
    s = step(s, done('cleanup', { oldDatabase: 'kept' }));
    expect(stateOf(s)).toBe('failed');
  });

  it('after a promotion that failed for good: compensation, then maintenance off, then failed', () => {
    let s = promotingInMaintenance();
    s = step(s, fail('promote', { step: 'promoting', message: 'forbidden' }));
    expect(stateOf(s)).toBe('compensating');
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 30 }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toBe('forbidden');
    expect(s.context.maintenance?.offAt).toBe(30);
  });

  it('rolls forward through maintenance off to cleanup when compensation finds the fork promoted', () => {
    let s = promotingInMaintenance();
    s = step(s, fail('promote', { step: 'promoting', message: 'answer lost' }));
    s = step(s, done('compensate', { promoted: true, destroyed: false }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 30 }));
    expect(stateOf(s)).toBe('cleaning');
  });

  it('an abort while entering maintenance compensates, then turns maintenance off, and ends aborted', () => {
    let s = verifiedWithMaintenance();
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    expect(s.can({ type: 'ABORT' })).toBe(true);
    s = step(s, { type: 'ABORT' });
    expect(stateOf(s)).toBe('compensating');
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 12 }));
    expect(stateOf(s)).toBe('aborted');
  });

  it('an abort before refork looked needs no maintenance step', () => {
    let s = verifiedWithMaintenance();
    s = step(s, { type: 'ABORT' });
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('aborted');
  });

  it('retries a transient failure of either maintenance step in place; leaving it never gives up on a transient one', () => {
    let s = verifiedWithMaintenance();
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    s = step(s, fail('enterMaintenance', { step: 'enteringMaintenance', retryable: true, at: 1_000 }));
    expect(stateOf(s)).toBe('enteringMaintenance');
    expect(s.context.maintenance?.found).toBe(false);
    expect(STEPS.leavingMaintenance.window).toBe('never');
    let leaving = step(promotingInMaintenance(), done('promote', { promoted: true, releaseFailure: null }));
    leaving = step(leaving, fail('leaveMaintenance', { step: 'leavingMaintenance', retryable: true, at: 1_000 }));
    leaving = step(leaving, fail('leaveMaintenance', { step: 'leavingMaintenance', retryable: true, at: 1_000 + 365 * 24 * 3_600_000 }));
    expect(stateOf(leaving)).toBe('leavingMaintenance');
  });

  it('a refusal to enter maintenance compensates and still turns it off (the set may have landed)', () => {
    let s = verifiedWithMaintenance();
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    s = step(s, fail('enterMaintenance', { step: 'enteringMaintenance', message: 'forbidden' }));
    expect(stateOf(s)).toBe('compensating');
    s = step(s, done('compensate', { promoted: false, destroyed: true }));
    expect(stateOf(s)).toBe('leavingMaintenance');
  });

  it('a refusal to leave maintenance ends the run failed, naming the command that ends it', () => {
    let s = step(promotingInMaintenance(), done('promote', { promoted: true, releaseFailure: null }));
    s = step(s, fail('leaveMaintenance', { step: 'leavingMaintenance', message: 'forbidden' }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toMatch(/acme-staging is still in maintenance: `heroku maintenance:off -a acme-staging`/);
    expect(s.context.error?.message).toMatch(/old database postgresql-stg-1 is kept/);
  });

  it('turns maintenance off even when compensation fails for good, and still ends failed naming the leftover', () => {
    let s = verifiedWithMaintenance();
    s = step(s, done('enterMaintenance', { found: false, on: false, at: 10 }));
    s = step(s, { type: 'ABORT' });
    s = step(s, fail('compensate', { step: 'compensating', message: 'unauthorized' }));
    expect(stateOf(s)).toBe('leavingMaintenance');
    s = step(s, done('leaveMaintenance', { on: false, at: 12 }));
    expect(stateOf(s)).toBe('failed');
    expect(s.context.error?.message).toContain('refork gc');
  });
});

describe('runs saved by machine version 3', () => {
  type Stored = { context: Record<string, unknown> };
  /** Version 3's context had neither field; its states, invoke ids and inputs are version 4's. */
  const asVersion3 = (snapshot: RefreshSnapshot): Stored => {
    const stored = JSON.parse(JSON.stringify(persist(snapshot))) as Stored;
    const { maintenanceMode: _mode, maintenance: _maintenance, ...context } = stored.context;
    return { ...stored, context };
  };

  /** One snapshot in each state version 3 had, reached the way version 3 reached it. */
  function everyVersion3State(): RefreshSnapshot[] {
    const found: RefreshSnapshot[] = [];
    let s = initialTransition(refreshMachine, input)[0];
    found.push(s);
    s = step(s, done('preflight', { source, oldDatabase: old }));
    found.push(s, step(s, fail('createFork', { step: 'forking' })));
    s = step(s, done('createFork', fork));
    found.push(s, step(s, { type: 'ABORT' }));
    s = step(s, done('waitForFork', { available: true, message: 'available', notFound: 0, observedAt: 5, nextPollAt: 5 }));
    found.push(s);
    s = step(s, done('anonymize', { tables: 3, rows: 10, skipped: 0 }));
    // Version 3 went on to verifying here; version 4 fixes up first (a state version 3 never saved).
    s = step(s, done('fixUp', { statements: [] }));
    found.push(s);
    s = step(s, done('verify', { checks: 3 }));
    found.push(s);
    s = step(s, done('promote', { promoted: true, releaseFailure: null }));
    found.push(s);
    found.push(step(s, done('cleanup', { oldDatabase: 'destroyed' })));
    const compensating = step(found[1] as RefreshSnapshot, fail('createFork', { step: 'forking' }));
    found.push(step(compensating, done('compensate', { promoted: false, destroyed: true })));
    return found;
  }

  it('resume in whatever state they were saved, without maintenance mode, to the same next step', () => {
    const snapshots = everyVersion3State();
    expect(new Set(snapshots.map(stateOf))).toEqual(
      new Set([
        'preflight',
        'forking',
        'waiting',
        'anonymizing',
        'verifying',
        'promoting',
        'cleaning',
        'compensating',
        'succeeded',
        'failed',
      ]),
    );
    expect(MACHINE_VERSION).toBe(4);
    for (const snapshot of snapshots) {
      const restored = restore(asVersion3(snapshot) as never, 3);
      expect(stateOf(restored)).toBe(stateOf(snapshot));
      expect(restored.context.maintenance).toBeNull();
      expect(restored.context.maintenanceMode).toBe(false);
      expect(pendingEffect(restored)).toEqual(pendingEffect(snapshot));
    }
    // A version 3 run that had verified its fork promotes next, as version 3 would have.
    const verified = snapshots.find((s) => stateOf(s) === 'promoting') as RefreshSnapshot;
    const [next] = transition(
      refreshMachine,
      restore(asVersion3(verified) as never, 3),
      done('promote', { promoted: true, releaseFailure: null }),
    );
    expect(stateOf(next)).toBe('cleaning');
  });
});

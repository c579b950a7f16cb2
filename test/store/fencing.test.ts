import { describe, expect, it } from 'vitest';
import { claimWhenExpired, startedRun, transition, waitUntilExpired, useTestStore } from './fixtures.js';
import type { Lease, RunRecord } from '../../src/store/types.js';

const t = useTestStore();

/** A run started by worker-a and then taken over by worker-b after worker-a's lease expired. */
async function takenOver(): Promise<{ stale: Lease; current: Lease; run: RunRecord }> {
  const { run, lease: stale } = await startedRun(t.store, { owner: 'worker-a', leaseTtlMs: 200 });
  const current = await claimWhenExpired(t.store, run.id, 'worker-b');
  const after = await t.store.getRun(run.id);
  if (!after) throw new Error('run vanished');
  return { stale, current, run: after };
}

describe('fencing after a takeover', () => {
  it('refuses the previous holder’s transition and leaves the run unchanged', async () => {
    const { stale, run } = await takenOver();
    const events = await t.store.runEvents(run.id);
    expect(await t.store.saveTransition(stale, transition({ state: 'forking' }))).toBe(false);
    expect(await t.store.getRun(run.id)).toEqual(run);
    expect(await t.store.runEvents(run.id)).toEqual(events);
  });

  it('refuses the previous holder’s events', async () => {
    const { stale, run } = await takenOver();
    const events = await t.store.runEvents(run.id);
    expect(await t.store.appendEvent(stale, { type: 'effect.started', from: 'forking', to: 'forking', detail: {} })).toBe(false);
    expect(await t.store.runEvents(run.id)).toEqual(events);
  });

  it('refuses the previous holder’s renewal', async () => {
    const { stale, run } = await takenOver();
    expect(await t.store.renewLease(stale, 60_000)).toBeNull();
    expect(await t.store.getRun(run.id)).toEqual(run);
  });

  it('ignores the previous holder’s release', async () => {
    const { stale, current, run } = await takenOver();
    await t.store.releaseLease(stale);
    expect(await t.store.getRun(run.id)).toEqual(run);
    expect(await t.store.claimRun(run.id, 'worker-c', 60_000)).toBeNull();
    expect(await t.store.saveTransition(current, transition())).toBe(true);
  });

  it('refuses a lease whose token is current but whose owner differs', async () => {
    const { current, run } = await takenOver();
    const forged = { ...current, owner: 'worker-a' };
    expect(await t.store.saveTransition(forged, transition())).toBe(false);
    expect(await t.store.getRun(run.id)).toEqual(run);
  });
});

describe('fencing without a takeover', () => {
  it('lets a holder whose lease expired but was not claimed still save a transition', async () => {
    const { run, lease } = await startedRun(t.store, { leaseTtlMs: 200 });
    await waitUntilExpired(t.store, run.id);
    expect(await t.store.saveTransition(lease, transition({ state: 'forking' }))).toBe(true);
    expect((await t.store.getRun(run.id))?.state).toBe('forking');
  });

  it('lets a holder whose lease expired but was not claimed renew it, which keeps others out', async () => {
    const { run, lease } = await startedRun(t.store, { leaseTtlMs: 200 });
    await waitUntilExpired(t.store, run.id);
    const renewed = await t.store.renewLease(lease, 60_000);
    expect(renewed).toMatchObject({ runId: run.id, owner: lease.owner, token: lease.token });
    expect(renewed?.expiresAt.getTime()).toBeGreaterThan(lease.expiresAt.getTime());
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toBeNull();
  });

  it('ends the lease when the run finishes: no more transitions or renewals', async () => {
    const { run, lease } = await startedRun(t.store);
    expect(await t.store.saveTransition(lease, transition({ state: 'succeeded', status: 'succeeded' }))).toBe(true);
    expect(await t.store.saveTransition(lease, transition({ state: 'forking', status: 'active' }))).toBe(false);
    expect(await t.store.renewLease(lease, 60_000)).toBeNull();
    expect((await t.store.getRun(run.id))?.status).toBe('succeeded');
  });
});

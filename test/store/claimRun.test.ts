import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { claimWhenExpired, startedRun, transition, waitUntilExpired, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('claimRun', () => {
  it('refuses a run whose lease has not expired', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 60_000 });
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toBeNull();
  });

  it('takes over a run once its lease expired by the database clock', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 200 });
    const lease = await claimWhenExpired(t.store, run.id, 'worker-b');
    expect(lease).toMatchObject({ runId: run.id, owner: 'worker-b', token: 2 });
    expect(await t.store.getRun(run.id)).toMatchObject({ leaseOwner: 'worker-b', leaseToken: 2, leaseExpiresAt: lease.expiresAt });
  });

  it('adds one to the token on every acquisition', async () => {
    const { run, lease: first } = await startedRun(t.store, { leaseTtlMs: 200 });
    const second = await claimWhenExpired(t.store, run.id, 'worker-b', 200);
    const third = await claimWhenExpired(t.store, run.id, 'worker-c', 200);
    const fourth = await claimWhenExpired(t.store, run.id, 'worker-a', 200);
    expect([first.token, second.token, third.token, fourth.token]).toEqual([1, 2, 3, 4]);
  });

  it('gives an expired lease to exactly one of several concurrent claimants', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 200 });
    await waitUntilExpired(t.store, run.id);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => t.store.claimRun(run.id, `worker-${i}`, 60_000)));
    const winners = claims.filter((lease) => lease !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.token).toBe(2);
    expect((await t.store.getRun(run.id))?.leaseOwner).toBe(winners[0]?.owner);
  });

  it('can take a released lease at once', async () => {
    const { run, lease } = await startedRun(t.store, { leaseTtlMs: 60_000 });
    await t.store.releaseLease(lease);
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toMatchObject({ owner: 'worker-b', token: 2 });
  });

  it('never claims a finished run, even with an expired lease', async () => {
    const { run, lease } = await startedRun(t.store, { leaseTtlMs: 200 });
    await t.store.saveTransition(lease, transition({ state: 'failed', status: 'failed', error: 'verifying: boom' }));
    await waitUntilExpired(t.store, run.id);
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toBeNull();
  });

  it('returns null for a run that does not exist', async () => {
    expect(await t.store.claimRun(randomUUID(), 'worker-b', 60_000)).toBeNull();
  });

  it('logs lease.acquired with the new owner and token', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 200 });
    await claimWhenExpired(t.store, run.id, 'worker-b');
    const events = await t.store.runEvents(run.id);
    expect(events.at(-1)).toMatchObject({
      seq: 2,
      type: 'lease.acquired',
      from: 'preflight',
      to: 'preflight',
      detail: { owner: 'worker-b', token: 2 },
    });
  });

  it('does not change the run’s updated_at, which tracks progress rather than heartbeats', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 200 });
    await claimWhenExpired(t.store, run.id, 'worker-b');
    expect((await t.store.getRun(run.id))?.updatedAt).toEqual(run.updatedAt);
  });
});

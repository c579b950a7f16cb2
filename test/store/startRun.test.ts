import { describe, expect, it } from 'vitest';
import { newRun, startedRun, transition, uniquePipeline, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('startRun', () => {
  it('creates an active run holding a lease with token 1', async () => {
    const run = newRun({ owner: 'worker-a' });
    const result = await t.store.startRun(run);
    expect(result.started).toBe(true);
    if (!result.started) return;
    expect(result.run).toMatchObject({
      id: run.id,
      pipeline: run.pipeline,
      status: 'active',
      state: 'preflight',
      leaseOwner: 'worker-a',
      leaseToken: 1,
    });
    expect(result.lease).toEqual({ runId: run.id, owner: 'worker-a', token: 1, expiresAt: result.run.leaseExpiresAt });
  });

  it('sets the lease expiry to the database clock plus the TTL', async () => {
    const before = await t.store.now();
    const { lease } = await startedRun(t.store, { leaseTtlMs: 3_600_000 });
    const after = await t.store.now();
    expect(lease.expiresAt.getTime()).toBeGreaterThanOrEqual(before.getTime() + 3_600_000 - 1);
    expect(lease.expiresAt.getTime()).toBeLessThanOrEqual(after.getTime() + 3_600_000);
  });

  it('logs run.started as the first event', async () => {
    const { run } = await startedRun(t.store, { owner: 'worker-a' });
    const events = await t.store.runEvents(run.id);
    expect(events).toEqual([
      {
        runId: run.id,
        seq: 1,
        from: null,
        to: 'preflight',
        type: 'run.started',
        detail: { owner: 'worker-a', machineVersion: 1, kind: 'refresh' },
        at: expect.any(Date),
      },
    ]);
  });

  it('refuses a second run of a pipeline while one is active, returning the active run', async () => {
    const { run } = await startedRun(t.store);
    const second = await t.store.startRun(newRun({ pipeline: run.pipeline, owner: 'worker-b' }));
    expect(second).toEqual({ started: false, active: run });
  });

  it('starts exactly one run when several processes start the same pipeline at once', async () => {
    const pipeline = uniquePipeline();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.store.startRun(newRun({ pipeline, owner: `worker-${i}` }))));
    const started = results.filter((result) => result.started);
    expect(started).toHaveLength(1);
    const winner = started[0];
    if (!winner?.started) return;
    for (const result of results) {
      if (!result.started) expect(result.active.id).toBe(winner.run.id);
    }
    expect(await t.store.listRuns({ pipeline })).toHaveLength(1);
  });

  it('lets a different pipeline start while another pipeline has an active run', async () => {
    await startedRun(t.store);
    const other = await t.store.startRun(newRun());
    expect(other.started).toBe(true);
  });

  it('starts a new run of a pipeline once its previous run finished', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'succeeded', status: 'succeeded' }));
    const next = await t.store.startRun(newRun({ pipeline: run.pipeline }));
    expect(next.started).toBe(true);
  });

  it('rejects a lease TTL that is not a positive number', async () => {
    await expect(t.store.startRun(newRun({ leaseTtlMs: 0 }))).rejects.toThrow(/lease TTL must be a positive number/);
  });
});

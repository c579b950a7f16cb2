// Runs as due rows: a transition stores when the run is next due (database clock), and workers
// claim what is due and free, each due run going to exactly one of them.
import { describe, expect, it } from 'vitest';
import type { ClaimDueRequest } from '../../src/store/types.js';
import { startedRun, transition, uniquePipeline, useTestStore, waitUntilExpired } from './fixtures.js';

const t = useTestStore();

const claimFor = (pipelines: string[], overrides: Partial<ClaimDueRequest> = {}) =>
  t.store.claimDue({
    owner: 'worker-b',
    leaseTtlMs: 60_000,
    pipelines,
    states: { only: 'others', names: [] },
    limit: 10,
    ...overrides,
  });

/** A run of its own pipeline, handed back (lease released) with its next step due in `dueInMs`. */
async function waitingRun(dueInMs: number | null, state = 'waiting') {
  const started = await startedRun(t.store);
  await t.store.saveTransition(started.lease, transition({ state, dueInMs }));
  await t.store.releaseLease(started.lease);
  return started.run;
}

describe('due rows', () => {
  it('stores the due time on the database clock and claims the run only once it has passed', async () => {
    const run = await waitingRun(400);
    const stored = await t.store.getRun(run.id);
    const now = await t.store.now();
    expect(stored?.notBefore?.getTime()).toBeGreaterThan(now.getTime());
    expect(await claimFor([run.pipeline])).toEqual([]);
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toBeNull();
    const deadline = performance.now() + 10_000;
    let claimed = await claimFor([run.pipeline]);
    while (claimed.length === 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      claimed = await claimFor([run.pipeline]);
    }
    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.lease).toMatchObject({ runId: run.id, owner: 'worker-b', token: 2 });
    expect(claimed[0]?.run).toMatchObject({ id: run.id, leaseOwner: 'worker-b', state: 'waiting' });
    expect(claimed[0]?.previousOwner).toBe('worker-a');
    expect((await t.store.runEvents(run.id)).at(-1)).toMatchObject({ type: 'lease.acquired', detail: { owner: 'worker-b', token: 2 } });
  });

  it('clears the due time when a transition says the next step is due now', async () => {
    const started = await startedRun(t.store);
    await t.store.saveTransition(started.lease, transition({ dueInMs: 60_000 }));
    await t.store.saveTransition(started.lease, transition({ dueInMs: null }));
    expect((await t.store.getRun(started.run.id))?.notBefore).toBeNull();
  });

  it('never claims a run whose lease is held, or a finished one', async () => {
    const held = await startedRun(t.store);
    const finished = await startedRun(t.store, { leaseTtlMs: 200 });
    await t.store.saveTransition(finished.lease, transition({ state: 'succeeded', status: 'succeeded' }));
    await waitUntilExpired(t.store, finished.run.id);
    expect(await claimFor([held.run.pipeline, finished.run.pipeline])).toEqual([]);
  });

  it('claims only the pipelines asked for, only up to the limit, soonest due first', async () => {
    const runs = [await waitingRun(null), await waitingRun(null), await waitingRun(null)];
    const other = await waitingRun(null);
    const claimed = await claimFor(
      runs.map((r) => r.pipeline),
      { limit: 2 },
    );
    expect(claimed).toHaveLength(2);
    expect(claimed.every((c) => runs.some((r) => r.id === c.run.id))).toBe(true);
    expect((await claimFor([other.pipeline], { owner: 'worker-c' }))[0]?.run.id).toBe(other.id);
  });

  it('separates runs in the named states (heavy steps) from the others', async () => {
    const heavy = await waitingRun(null, 'anonymizing');
    const light = await waitingRun(null, 'waiting');
    const pipelines = [heavy.pipeline, light.pipeline];
    const heavyOnly = await claimFor(pipelines, { states: { only: 'these', names: ['anonymizing', 'verifying'] } });
    expect(heavyOnly.map((c) => c.run.id)).toEqual([heavy.id]);
    const lightOnly = await claimFor(pipelines, { states: { only: 'others', names: ['anonymizing', 'verifying'] } });
    expect(lightOnly.map((c) => c.run.id)).toEqual([light.id]);
  });

  it('gives each due run to exactly one of many concurrent claimers', async () => {
    const runs = await Promise.all(Array.from({ length: 12 }, () => waitingRun(null)));
    const pipelines = runs.map((r) => r.pipeline);
    const rounds = await Promise.all(Array.from({ length: 8 }, (_, i) => claimFor(pipelines, { owner: `worker-${i}`, limit: 3 })));
    const claimed = rounds.flat().map((c) => c.run.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBeGreaterThan(0);
    // Whatever a round skipped (locked by another) is still there for the next.
    const rest = await claimFor(pipelines, { limit: 12 });
    expect([...claimed, ...rest.map((c) => c.run.id)].sort()).toEqual(runs.map((r) => r.id).sort());
    for (const run of runs) expect((await t.store.getRun(run.id))?.leaseToken).toBe(2);
  });

  it('makes a run due at once when an abort is requested', async () => {
    const run = await waitingRun(3_600_000);
    await t.store.requestAbort(run.pipeline);
    expect((await t.store.getRun(run.id))?.notBefore).toBeNull();
    expect((await claimFor([run.pipeline])).map((c) => c.run.id)).toEqual([run.id]);
  });
});

describe('when the next run is due', () => {
  it('is the soonest due time of the free runs, and a held run counts at its lease expiry unless left out', async () => {
    const soon = await waitingRun(30_000);
    const later = await waitingRun(90_000);
    const held = await startedRun(t.store, { leaseTtlMs: 10_000 });
    const dueIn = await t.store.nextDueInMs([soon.pipeline, later.pipeline]);
    expect(dueIn).toBeGreaterThan(20_000);
    expect(dueIn).toBeLessThanOrEqual(30_000);
    const withHeld = await t.store.nextDueInMs([soon.pipeline, held.run.pipeline]);
    expect(withHeld).toBeLessThanOrEqual(10_000);
    expect(await t.store.nextDueInMs([held.run.pipeline], { includeLeased: false })).toBeNull();
    expect(await t.store.nextDueInMs([uniquePipeline()])).toBeNull();
    expect(await t.store.nextDueInMs([(await waitingRun(null)).pipeline])).toBe(0);
  });

  it("reads each pipeline's newest run for its schedule", async () => {
    const first = await startedRun(t.store);
    await t.store.saveTransition(first.lease, transition({ state: 'succeeded', status: 'succeeded' }));
    const second = await startedRun(t.store, { pipeline: first.run.pipeline });
    const latest = await t.store.latestRuns([first.run.pipeline, uniquePipeline()]);
    expect(latest).toEqual([{ pipeline: first.run.pipeline, status: 'active', createdAt: second.run.createdAt }]);
  });
});

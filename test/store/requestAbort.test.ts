import { describe, expect, it } from 'vitest';
import { startedRun, transition, uniquePipeline, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('requestAbort', () => {
  it('marks the pipeline’s active run and returns it', async () => {
    const { run } = await startedRun(t.store);
    const marked = await t.store.requestAbort(run.pipeline);
    expect(marked).toMatchObject({ id: run.id, status: 'active', abortRequestedAt: expect.any(Date) });
    expect((await t.store.getRun(run.id))?.abortRequestedAt).toEqual(marked?.abortRequestedAt);
  });

  it('keeps the time of the first request when asked again', async () => {
    const { run } = await startedRun(t.store);
    const first = await t.store.requestAbort(run.pipeline);
    const second = await t.store.requestAbort(run.pipeline);
    expect(second?.abortRequestedAt).toEqual(first?.abortRequestedAt);
  });

  it('logs abort.requested in the run’s events', async () => {
    const { run } = await startedRun(t.store);
    await t.store.requestAbort(run.pipeline);
    expect((await t.store.runEvents(run.id)).at(-1)).toMatchObject({ seq: 2, type: 'abort.requested' });
  });

  it('returns null when the pipeline has no active run', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'succeeded', status: 'succeeded' }));
    expect(await t.store.requestAbort(run.pipeline)).toBeNull();
    expect(await t.store.requestAbort(uniquePipeline())).toBeNull();
  });

  it('leaves the lease with its holder, who steers the run to its end', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.requestAbort(run.pipeline);
    expect(await t.store.saveTransition(lease, transition({ state: 'compensating' }))).toBe(true);
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startedRun, transition, uniquePipeline, useTestStore } from './fixtures.js';

const t = useTestStore();

/** Three finished runs of one pipeline (oldest first) and a fourth still active. */
async function pipelineHistory(pipeline: string) {
  const ids: string[] = [];
  for (const status of ['succeeded', 'failed', 'succeeded'] as const) {
    const { run, lease } = await startedRun(t.store, { pipeline });
    await t.store.saveTransition(lease, transition({ state: status, status }));
    ids.push(run.id);
  }
  const { run } = await startedRun(t.store, { pipeline });
  ids.push(run.id);
  return ids;
}

describe('queries', () => {
  it('lists a pipeline’s runs newest first', async () => {
    const pipeline = uniquePipeline();
    const ids = await pipelineHistory(pipeline);
    await startedRun(t.store);
    expect((await t.store.listRuns({ pipeline })).map((run) => run.id)).toEqual([...ids].reverse());
  });

  it('filters listed runs by status', async () => {
    const pipeline = uniquePipeline();
    const ids = await pipelineHistory(pipeline);
    const failed = await t.store.listRuns({ pipeline, status: 'failed' });
    expect(failed.map((run) => run.id)).toEqual([ids[1]]);
  });

  it('limits the number of listed runs', async () => {
    const pipeline = uniquePipeline();
    const ids = await pipelineHistory(pipeline);
    expect((await t.store.listRuns({ pipeline, limit: 2 })).map((run) => run.id)).toEqual([ids[3], ids[2]]);
  });

  it('lists runs of every pipeline without a filter', async () => {
    const a = await startedRun(t.store);
    const b = await startedRun(t.store);
    const ids = (await t.store.listRuns()).map((run) => run.id);
    expect(ids.indexOf(b.run.id)).toBeLessThan(ids.indexOf(a.run.id));
  });

  it('finds the active run of a pipeline and nothing for an idle pipeline', async () => {
    const pipeline = uniquePipeline();
    const ids = await pipelineHistory(pipeline);
    expect((await t.store.activeRun(pipeline))?.id).toBe(ids[3]);
    expect(await t.store.activeRun(uniquePipeline())).toBeNull();
  });

  it('returns null for an unknown run id', async () => {
    expect(await t.store.getRun(randomUUID())).toBeNull();
  });

  it('treats a malformed run id as an unknown run', async () => {
    expect(await t.store.getRun('not-a-run-id')).toBeNull();
    expect(await t.store.runEvents('not-a-run-id')).toEqual([]);
  });

  it('maps rows to records with numbers and dates', async () => {
    const { run } = await startedRun(t.store);
    const read = await t.store.getRun(run.id);
    expect(read).toEqual({
      id: run.id,
      pipeline: run.pipeline,
      kind: 'refresh',
      status: 'active',
      state: 'preflight',
      snapshot: run.snapshot,
      machineVersion: 1,
      leaseOwner: 'worker-a',
      leaseToken: 1,
      leaseExpiresAt: expect.any(Date),
      abortRequestedAt: null,
      notBefore: null,
      error: null,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
      finishedAt: null,
    });
  });

  it('reads the time from the database clock', async () => {
    const result = await t.knex.raw<{ rows: { now: Date }[] }>('SELECT now() AS now');
    const before = result.rows[0]?.now ?? new Date(0);
    const now = await t.store.now();
    expect(now.getTime()).toBeGreaterThanOrEqual(before.getTime());
  });
});

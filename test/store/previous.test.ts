// The rollback window's records against a real PostgreSQL: a keep is recorded once, at most one
// previous database per pipeline, a window decided by the database clock (no rollback
// reservation, no expiry on the wrong side of it), each state change once and logged as an
// event of the run that kept the database.
import { describe, expect, it } from 'vitest';
import { createPreviousStore, type PreviousStore } from '../../src/store/index.js';
import { startedRun, useTestStore } from './fixtures.js';

const t = useTestStore();
const previous = (): PreviousStore => createPreviousStore(t.knex);

async function kept(windowMs = 3_600_000, addon = 'old-db') {
  const { run } = await startedRun(t.store);
  const record = await previous().keep({
    pipeline: run.pipeline,
    addonId: `${addon}-id`,
    addonName: addon,
    ownerApp: 'acme-staging',
    targetApp: 'acme-staging',
    mayDestroy: true,
    runId: run.id,
    windowMs,
  });
  return { run, record };
}

describe('previous databases', () => {
  it('records a keep once, with its window on the database clock, and logs it on the run', async () => {
    const { run, record } = await kept();
    const again = await previous().keep({ ...record, pipeline: run.pipeline, runId: run.id, windowMs: 5 });
    expect(again.id).toBe(record.id);
    const now = await t.store.now();
    expect(record.keptUntil.getTime() - now.getTime()).toBeGreaterThan(3_500_000);
    expect(await previous().current(run.pipeline)).toMatchObject({ addonName: 'old-db', state: 'kept' });
    const events = (await t.store.runEvents(run.id)).filter((e) => e.type.startsWith('previous.'));
    expect(events).toEqual([expect.objectContaining({ type: 'previous.kept', detail: expect.objectContaining({ addon: 'old-db' }) })]);
  });

  it('refuses a second previous database of a pipeline while one is live', async () => {
    const { run, record } = await kept();
    const { run: other } = await startedRun(t.store);
    const second = { ...record, pipeline: run.pipeline, runId: other.id, addonId: 'new-id', addonName: 'new-db', windowMs: 1000 };
    await expect(previous().keep(second)).rejects.toThrow(/refork_previous_one_per_pipeline/);
    expect(await previous().retire(record.id, 'replaced')).toBe(true);
    await expect(previous().keep(second)).rejects.toThrow(/refork_previous_one_per_pipeline/);
    await previous().destroyed(record.id);
    expect((await previous().keep(second)).state).toBe('kept');
  });

  it('neither expires nor is due inside its window; after it, is due, expires, and cannot be reserved', async () => {
    const { run, record } = await kept(60_000);
    expect(await previous().due([run.pipeline])).toEqual([]);
    expect(await previous().retire(record.id, 'expired')).toBe(false);
    await t.knex.raw(`UPDATE refork_previous_databases SET kept_until = now() - interval '1 second' WHERE id = ?`, [record.id]);
    expect(await previous().reserve(record.id, run.id)).toBe(false);
    expect((await previous().due([run.pipeline])).map((r) => r.id)).toEqual([record.id]);
    expect(await previous().retire(record.id, 'expired')).toBe(true);
    // Left `destroying` (a crash, an outage): still due, so the next beat finishes it.
    expect((await previous().due([run.pipeline])).map((r) => r.state)).toEqual(['destroying']);
    await previous().destroyed(record.id);
    expect(await previous().current(run.pipeline)).toBeNull();
  });

  it('holds a reserved database for its rollback only, and gives it back', async () => {
    const { run, record } = await kept();
    const { run: rollback } = await startedRun(t.store);
    expect(await previous().reserve(record.id, rollback.id)).toBe(true);
    expect(await previous().reserve(record.id, rollback.id)).toBe(true);
    expect(await previous().reserve(record.id, run.id)).toBe(false);
    expect(await previous().retire(record.id, 'replaced')).toBe(false);
    await previous().unreserve(record.id, rollback.id);
    expect(await previous().current(run.pipeline)).toMatchObject({ state: 'kept', rollbackRun: null });
    const types = (await t.store.runEvents(run.id)).map((e) => e.type).filter((type) => type.startsWith('previous.'));
    expect(types).toEqual(['previous.kept', 'previous.restoring', 'previous.kept']);
  });
});

// Masking within the disk the fork has left (docs/disk.md): the method each table gets under
// large and small headroom, the key-range path's output (exactly the per-row UPDATE's), its peak
// against the budget, and a run cut between two stripes resumed without masking a row twice.
import { describe, expect, it } from 'vitest';
import { anonymizeDatabase, formatPlan, planAnonymization, verifyAnonymized } from '../../src/anonymize/index.js';
import { maskInStripes } from '../../src/anonymize/batched.js';
import { loadCatalog } from '../../src/anonymize/catalog.js';
import { chooseWithinBudget, DiskBudgetError, loadTableSizes, type TableSizes } from '../../src/anonymize/disk.js';
import { ensureLedger } from '../../src/anonymize/ledger.js';
import { buildPlan } from '../../src/anonymize/plan.js';
import { digest, fixturesPerTest, newKey, newRunId, PEOPLE_RULES, PEOPLE_SCHEMA, plainUpdates, type Fixture } from './fixture.js';

const fresh = fixturesPerTest();

const PEOPLE = PEOPLE_SCHEMA;
const RULES = PEOPLE_RULES;

const SHAPE = `SELECT (SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY 1) FROM pg_index WHERE indrelid = 'people'::regclass) AS indexes,
                      (SELECT array_agg(conname || ' ' || pg_get_constraintdef(oid) ORDER BY 1) FROM pg_constraint WHERE conrelid = 'people'::regclass) AS constraints`;

async function stepAndTable(fixture: Fixture, rules = RULES) {
  const client = await fixture.connect();
  try {
    const catalog = await loadCatalog(client);
    const [step] = buildPlan(rules, catalog, { key: newKey() }).updates;
    const table = step && catalog.find(step.table);
    if (!step || !table) throw new Error('no step for people');
    return { step, table, sizes: (await loadTableSizes(client)).get(step.display) as TableSizes };
  } finally {
    await client.end();
  }
}

async function checks(fixture: Fixture): Promise<Record<string, unknown>> {
  const [row] = await fixture.query<{ checks: Record<string, unknown> }>(
    `SELECT checks FROM refork.anonymized WHERE table_name = 'public.people'`,
  );
  return row?.checks ?? {};
}

describe('the method a table gets for the disk left', () => {
  it('keeps the fast rewrite with ample headroom, an in-place UPDATE when only that fits, and stripes when neither does', async () => {
    const { step, table, sizes } = await stepAndTable(await fresh(PEOPLE));
    const total = sizes.heap + sizes.toast + sizes.indexes;
    expect(total).toBeGreaterThan(1_000_000);

    const ample = chooseWithinBudget(step, table, sizes, 10 * total);
    expect(ample).toMatchObject({ method: 'rewrite', timeClass: 'fast' });
    expect(ample.peakBytes).toBeGreaterThan(total);
    expect(chooseWithinBudget(step, table, sizes, undefined).method).toBe('rewrite');

    const inPlace = chooseWithinBudget(step, table, sizes, ample.peakBytes - 1);
    expect(inPlace).toMatchObject({ method: 'update', timeClass: 'medium' });
    expect(inPlace.peakBytes).toBeLessThan(ample.peakBytes);

    const quarter = Math.floor(total / 4);
    const tight = chooseWithinBudget(step, table, sizes, quarter);
    expect(tight).toMatchObject({ method: 'batched', timeClass: 'slow' });
    if (tight.method !== 'batched') throw new Error('not batched');
    expect(tight.batch.key.map((column) => column.name)).toEqual(['id']);
    expect(tight.batch.stripes).toBeGreaterThanOrEqual(16);
    expect(tight.peakBytes).toBeLessThanOrEqual(quarter);
  });

  it('refuses, naming the fix, a table that fits no way: no usable key, or room for less than 1/1024 of it', async () => {
    const fixture = await fresh(PEOPLE);
    const { step, table, sizes } = await stepAndTable(fixture);
    expect(() => chooseWithinBudget(step, table, sizes, 10_000)).toThrow(/hold less than 1\/1024 of its rows; choose a larger fork plan/);
    // Without a primary key, no stripe can be told apart from a row's masked values.
    await fixture.query('ALTER TABLE people DROP CONSTRAINT people_pkey');
    const keyless = await stepAndTable(fixture);
    const error = (() => {
      try {
        chooseWithinBudget(keyless.step, keyless.table, keyless.sizes, 1_000_000);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DiskBudgetError);
    expect(String(error)).toMatch(/masking it in stripes needs a primary key that no rule masks: add one, or choose a larger fork plan$/);
    expect(String(error)).not.toContain('\n');
  });
});

// 60,000 rows masked three times over (baseline, stripes, resumed stripes): minutes on a busy machine.
describe('masking in stripes', { timeout: 300_000 }, () => {
  it("gives exactly the per-row UPDATE's rows under a tight budget, records the method, and stays near its budget", async () => {
    const key = newKey();
    const baseline = await fresh(PEOPLE);
    await plainUpdates(baseline, RULES, key);

    const fixture = await fresh(PEOPLE);
    const { sizes } = await stepAndTable(fixture);
    const budgetBytes = Math.floor((sizes.heap + sizes.toast + sizes.indexes) / 4);
    const shape = await fixture.query(SHAPE);
    const [before] = await fixture.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
    const runId = newRunId();
    const result = await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key, disk: { budgetBytes } });
    const [after] = await fixture.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');

    expect(result.tables).toEqual([expect.objectContaining({ table: 'public.people', rows: 60000, method: 'batched' })]);
    const recorded = await checks(fixture);
    expect(recorded).toMatchObject({ method: 'batched' });
    // Every stripe ran the residual check; the verification gates pass as on any other path.
    expect(recorded.residual).toMatchObject({ email: { unchanged: 0 }, note: { unchanged: 0 } });
    expect((recorded.residual as Record<string, { sampled: number }>).email?.sampled).toBeGreaterThan(16 * 50);
    expect(await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key })).toMatchObject({ ok: true, problems: [] });
    expect(Number(recorded.stripes)).toBeGreaterThanOrEqual(16);
    expect(await digest(fixture, 'people')).toBe(await digest(baseline, 'people'));
    // What the table holds once masked stays within the budget (the peak itself is sampled by `npm run bench`).
    expect(Number(after?.bytes) - Number(before?.bytes)).toBeLessThanOrEqual(budgetBytes * 1.1);
    expect(await fixture.query('SELECT * FROM refork.stripes')).toEqual([]);
    // The indexes over masked columns were dropped for the stripes and built again as they were.
    expect(recorded).toMatchObject({ rebuilt: 2 });
    expect(await fixture.query(SHAPE)).toEqual(shape);
  });

  it('goes on with the next stripe when a run is cut between stripes, masking no row twice', async () => {
    const key = newKey();
    const baseline = await fresh(PEOPLE);
    await plainUpdates(baseline, RULES, key);

    const fixture = await fresh(PEOPLE);
    const runId = newRunId();
    const client = await fixture.connect();
    try {
      await ensureLedger(client);
      const catalog = await loadCatalog(client);
      const [step] = buildPlan(RULES, catalog, { key }).updates;
      const table = step && catalog.find(step.table);
      const idColumn = table?.columns.find((column) => column.name === 'id');
      if (!step || !table || !idColumn) throw new Error('no step for people');
      let rounds = 0;
      const cut = maskInStripes({
        client,
        step,
        table,
        batch: { stripes: 20, key: [idColumn] },
        runId,
        key,
        inTransaction: async <T>(work: () => Promise<T>) => {
          await client.query('BEGIN');
          try {
            const done = await work();
            await client.query('COMMIT');
            return done;
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        },
        checkAborted: () => {
          if (++rounds > 3) throw new Error('cut');
        },
      });
      await expect(cut).rejects.toThrow('cut');
    } finally {
      await client.end();
    }
    const [progress] = await fixture.query<{ done: number; stripes: number; rows: number }>(
      'SELECT done, stripes, rows::int FROM refork.stripes',
    );
    expect(progress).toMatchObject({ done: 3, stripes: 20 });
    // About 3/20 of the rows, each masked once (a stripe is a hash class of the key).
    expect(progress?.rows).toBeGreaterThan(60000 * 0.1);
    expect(progress?.rows).toBeLessThan(60000 * 0.2);

    const { sizes } = await stepAndTable(fixture);
    await anonymizeDatabase({
      connect: fixture.connect,
      rules: RULES,
      runId,
      key,
      disk: { budgetBytes: Math.floor((sizes.heap + sizes.indexes) / 4) },
    });
    // Resumed with its own stripe count, whatever the budget would choose now.
    expect(await checks(fixture)).toMatchObject({ method: 'batched', stripes: 20 });
    expect(await digest(fixture, 'people')).toBe(await digest(baseline, 'people'));
  });
});

describe('the plan says what masking needs', () => {
  it('gives per table the method, its peak and time class, and the total peak against the fork plan storage', async () => {
    const fixture = await fresh(PEOPLE);
    const ample = await planAnonymization({ connect: fixture.connect, rules: RULES, disk: { storageBytes: 64 * 1024 ** 3 } });
    expect(ample.ok).toBe(true);
    const [people] = ample.tables;
    expect(people).toMatchObject({ table: 'public.people', disk: { method: 'rewrite', timeClass: 'fast' } });
    expect(ample.disk).toMatchObject({ storageBytes: 64 * 1024 ** 3, peakBytes: people?.disk?.peakBytes });
    expect(ample.disk?.peakBytes).toBeGreaterThan(ample.disk?.largestTableBytes ?? Infinity);
    expect(formatPlan(ample)).toMatch(/masked by rewrite \(fast\), peak \+[\d.]+ MB of disk/);
    expect(formatPlan(ample)).toMatch(
      /disk: masking's peak is \+[\d.]+ MB on the [\d.]+ MB of data \(largest table [\d.]+ MB\), against the fork plan's 64 GB, [\d.]+ GB of them free for masking: fits/,
    );

    const budgetBytes = Math.floor((ample.disk?.largestTableBytes ?? 0) / 4);
    const tight = await planAnonymization({ connect: fixture.connect, rules: RULES, disk: { storageBytes: 64 * 1024 ** 3, budgetBytes } });
    expect(tight.tables[0]).toMatchObject({ disk: { method: 'batched', timeClass: 'slow' } });
    expect(tight.disk?.roomBytes).toBe(budgetBytes);
    expect(tight.disk?.peakBytes).toBeLessThanOrEqual(budgetBytes);
    expect(formatPlan(tight)).toMatch(/masked by batched \(slow\)/);
    expect(formatPlan(tight)).toMatch(/free for masking: fits$/m);
  });

  it('lists a table that cannot be masked within the disk as a problem (the run would stop)', async () => {
    const fixture = await fresh(PEOPLE);
    const report = await planAnonymization({ connect: fixture.connect, rules: RULES, disk: { budgetBytes: 10_000 } });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(/^public.people: the [\d]+ bytes of free disk left hold less than 1\/1024 of its rows/),
    ]);
    expect(formatPlan(report)).toMatch(/the fork plan's storage is unknown \(set disk.storage_gb\)/);
  });
});

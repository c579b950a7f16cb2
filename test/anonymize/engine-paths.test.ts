// The engine's faster physical paths must give exactly what one plain UPDATE per table with the
// same mask expressions gives (the benchmark's baseline): masks computed once per distinct value
// (memoized), digests computed once per row, and an in-place UPDATE with its indexes rebuilt.
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/anonymize/catalog.js';
import { anonymizeDatabase, parseRules } from '../../src/anonymize/index.js';
import { buildPlan } from '../../src/anonymize/plan.js';
import { maskingSelect } from '../../src/anonymize/stage.js';
import {
  digest,
  expectedEmail,
  fixturesPerTest,
  newKey,
  newRunId,
  PEOPLE_RULES,
  PEOPLE_SCHEMA,
  plainUpdates,
  type Fixture,
} from './fixture.js';

const fresh = fixturesPerTest();

async function checks(fixture: Fixture, table: string): Promise<Record<string, unknown>> {
  const [row] = await fixture.query<{ checks: Record<string, unknown> }>(`SELECT checks FROM refork.anonymized WHERE table_name = $1`, [
    table,
  ]);
  return row?.checks ?? {};
}

describe('engine paths', () => {
  const PEOPLE = PEOPLE_SCHEMA;
  const RULES = PEOPLE_RULES;

  it('masks low-cardinality columns once per distinct value, exactly as a per-row UPDATE would', async () => {
    const key = newKey();
    const baseline = await fresh(PEOPLE);
    await plainUpdates(baseline, RULES, key);
    const expected = await digest(baseline, 'people');

    for (const parallelism of [2, 1]) {
      const fixture = await fresh(PEOPLE);
      await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key, parallelism });
      expect(await checks(fixture, 'public.people')).toMatchObject({ method: 'rewrite', staged: parallelism > 1 ? 'parallel' : 'single' });
      expect(await digest(fixture, 'people'), `parallelism ${parallelism}`).toBe(expected);
      expect(await fixture.query(`SELECT relname FROM pg_class WHERE relname LIKE 'stage\\_%'`)).toEqual([]);
    }
  });

  it("computes a digest a mask reads twice once per row, and reads a fake phone's digits from its bytes", async () => {
    const fixture = await fresh(PEOPLE);
    const client = await fixture.connect();
    try {
      const catalog = await loadCatalog(client);
      const step = buildPlan(RULES, catalog, { key: newKey() }).updates.find((candidate) => candidate.display === 'public.people');
      const table = catalog.find(step?.table ?? { schema: 'public', table: 'people' });
      if (step?.kind !== 'update' || !table) throw new Error('no plan for people');
      const phone = { ...step, columns: step.columns.filter((column) => column.column === 'phone') };
      // Inline, the phone's two numbers parse the hex of one HMAC each (two HMACs); staged, one HMAC.
      expect(phone.columns[0]?.expression.match(/sha256/g)).toHaveLength(4);
      const { text } = maskingSelect(phone, table);
      expect(text.match(/sha256/g)).toHaveLength(2);
      expect(text).toMatch(/pg_catalog\.get_byte\(refork_digest\.d0, 12\)/);
      expect(text).not.toMatch(/::bit\(32\)/);
    } finally {
      await client.end();
    }
  });

  it("computes a big table's masks in parallel whatever its primary key (uuid here), exactly as a per-row UPDATE would", async () => {
    const SCHEMA = `
      CREATE TABLE accounts (id uuid PRIMARY KEY, email text, city text);
      CREATE INDEX accounts_city ON accounts (city);
      INSERT INTO accounts SELECT md5(i::text)::uuid, 'a' || i || '@mail.example.com', 'City ' || (i % 40) FROM generate_series(1, 55000) i;
      ANALYZE;
    `;
    const rules = parseRules(
      { tables: { accounts: { columns: { id: 'safe', email: 'email', city: { strategy: 'fake', kind: 'city' } } } } },
      'anonymize',
    );
    const key = newKey();
    const baseline = await fresh(SCHEMA);
    await plainUpdates(baseline, rules, key);
    const fixture = await fresh(SCHEMA);
    await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });
    expect(await checks(fixture, 'public.accounts')).toMatchObject({ method: 'rewrite', staged: 'parallel' });
    expect(await digest(fixture, 'accounts')).toBe(await digest(baseline, 'accounts'));
  });

  it('updates a table of large out-of-line values in place, its indexes dropped and rebuilt as they were', async () => {
    const SCHEMA = `
      CREATE TABLE documents (id int PRIMARY KEY, owner_email text, title text, body text);
      ALTER TABLE documents ALTER COLUMN body SET STORAGE EXTERNAL;
      CREATE INDEX documents_title ON documents (lower(title)) WHERE title IS NOT NULL;
      INSERT INTO documents SELECT i, 'owner' || i || '@corp.example.com', 'Doc ' || i, repeat(md5(i::text), 70) FROM generate_series(1, 20500) i;
      ANALYZE;
    `;
    const rules = parseRules(
      { tables: { documents: { columns: { id: 'safe', owner_email: 'email', title: 'safe', body: 'safe' } } } },
      'anonymize',
    );
    const SHAPE = `SELECT (SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY 1) FROM pg_index WHERE indrelid = 'documents'::regclass) AS indexes,
                          (SELECT array_agg(conname || ' ' || pg_get_constraintdef(oid) ORDER BY 1) FROM pg_constraint WHERE conrelid = 'documents'::regclass) AS constraints`;
    const key = newKey();
    const baseline = await fresh(SCHEMA);
    await plainUpdates(baseline, rules, key);
    const fixture = await fresh(SCHEMA);
    const shape = await fixture.query(SHAPE);
    await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });

    expect(await checks(fixture, 'public.documents')).toMatchObject({ method: 'update', indexes: 'rebuilt' });
    expect(await fixture.query(SHAPE)).toEqual(shape);
    expect(await digest(fixture, 'documents')).toBe(await digest(baseline, 'documents'));
    expect(await fixture.query(`SELECT owner_email FROM documents WHERE id = 7`)).toEqual([
      { owner_email: expectedEmail(key, 'owner7@corp.example.com') },
    ]);
  });
});

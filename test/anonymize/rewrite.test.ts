import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, newKey, newRunId, type Fixture } from './fixture.js';

// Big enough (and indexed enough) for the cost model to pick a rewrite.
const ROWS = 50_000;
let fixture: Fixture;
const key = newKey();

const SCHEMA = `
    CREATE TABLE countries (code text PRIMARY KEY);
    INSERT INTO countries VALUES ('FR'), ('GB');
    CREATE TABLE customers (
      id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL CONSTRAINT customers_email_key UNIQUE,
      name text, country text REFERENCES countries, shout text GENERATED ALWAYS AS (upper(name)) STORED,
      referrer int REFERENCES customers);
    CREATE INDEX customers_name ON customers (name) WITH (fillfactor = 80);
    CREATE INDEX customers_lower_email ON customers (lower(email)) WHERE country = 'FR';
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers ON DELETE CASCADE);
    INSERT INTO customers (email, name, country, referrer)
      SELECT 'c' || i || '@gmail.com', 'Name ' || i, CASE WHEN i % 2 = 0 THEN 'FR' ELSE 'GB' END, NULLIF(i - 1, 0)
        FROM generate_series(1, ${ROWS}) i;
    INSERT INTO orders SELECT i, 1 + i % ${ROWS} FROM generate_series(1, 1000) i;
    CREATE VIEW fr_customers AS SELECT id, email FROM customers WHERE country = 'FR';
    COMMENT ON TABLE customers IS 'kept';
    ANALYZE;
  `;
beforeEach(async () => {
  fixture = await createFixture(SCHEMA);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules(
  {
    tables: {
      countries: 'safe',
      customers: { columns: { id: 'safe', email: 'email', name: 'hash', country: 'safe', referrer: 'safe' } },
      orders: 'safe',
    },
  },
  'anonymize',
);

const SHAPE = `
  SELECT c.oid::int AS oid,
         (SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY 1) FROM pg_index WHERE indrelid = c.oid) AS indexes,
         (SELECT array_agg(conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated ORDER BY 1)
            FROM pg_constraint WHERE conrelid = c.oid OR confrelid = c.oid) AS constraints,
         obj_description(c.oid) AS comment
    FROM pg_class c WHERE c.oid = 'customers'::regclass`;

async function ledgerChecks(): Promise<{ method: string; fallback?: string }> {
  const [row] = await fixture.query<{ checks: { method: string; fallback?: string } }>(
    `SELECT checks FROM refork.anonymized WHERE table_name = 'public.customers'`,
  );
  if (!row) throw new Error('no ledger row');
  return row.checks;
}

describe('rewrite', () => {
  it('gives the same result computed by one session or several', async () => {
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key, parallelism: 1 });
    expect(await ledgerChecks()).toMatchObject({ method: 'rewrite', staged: 'single' });
    const single = await fixture.query(`SELECT md5(string_agg(email || name, ',' ORDER BY id)) AS digest FROM customers`);
    await fixture.drop();
    fixture = await createFixture(SCHEMA);
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key, parallelism: 3 });
    expect(await ledgerChecks()).toMatchObject({ method: 'rewrite', staged: 'parallel' });
    expect(await fixture.query(`SELECT md5(string_agg(email || name, ',' ORDER BY id)) AS digest FROM customers`)).toEqual(single);
  });

  it('masks a big indexed table by rewriting it, and puts back every index and constraint as it was', async () => {
    const before = await fixture.query(SHAPE);
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });

    expect(await ledgerChecks()).toMatchObject({ method: 'rewrite', staged: 'parallel' });
    expect(await fixture.query(SHAPE)).toEqual(before);
    expect(
      await fixture.query(`SELECT relname FROM pg_class WHERE relnamespace = 'refork'::regnamespace AND relname LIKE 'stage%'`),
    ).toEqual([]);
    expect(await fixture.query(`SELECT id, email, shout FROM customers WHERE id = 7`)).toEqual([
      { id: 7, email: expectedEmail(key, 'c7@gmail.com'), shout: expect.stringMatching(/^[0-9A-F]{64}$/) },
    ]);
    expect(await fixture.query(`SELECT count(*)::int AS n FROM fr_customers`)).toEqual([{ n: ROWS / 2 }]);
    expect(await fixture.query(`SELECT count(*)::int AS n FROM orders JOIN customers ON customers.id = orders.customer_id`)).toEqual([
      { n: 1000 },
    ]);
    expect((await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key })).problems).toEqual([]);
  });

  it('checks the foreign keys it re-adds once, after masking, and a run killed before that checks them when resumed', async () => {
    // Production's own NOT VALID key is not ours to validate: its rows may break it.
    await fixture.query(`INSERT INTO orders VALUES (5000, 1); ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey`);
    await fixture.query(`UPDATE orders SET customer_id = ${ROWS + 1} WHERE id = 5000`);
    await fixture.query(
      `ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers NOT VALID`,
    );
    const validity = `SELECT conname AS name, convalidated AS valid FROM pg_constraint WHERE contype = 'f' ORDER BY 1`;
    const before = await fixture.query(validity);
    expect(before).toEqual([
      { name: 'customers_country_fkey', valid: true },
      { name: 'customers_referrer_fkey', valid: true },
      { name: 'orders_customer_id_fkey', valid: false },
    ]);

    // Stopped once the table is masked: the keys it re-added are left NOT VALID, and said so.
    const runId = newRunId();
    const stop = new AbortController();
    const onProgress = (progress: { table: string; state: string }) => {
      if (progress.table === 'public.customers' && progress.state === 'done') stop.abort();
    };
    await expect(
      anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key, signal: stop.signal, onProgress }),
    ).rejects.toThrow(/aborted before foreign key "customers_(country|referrer)_fkey" of public\.customers; resume/);
    expect(await fixture.query(validity)).toEqual([
      { name: 'customers_country_fkey', valid: false },
      { name: 'customers_referrer_fkey', valid: false },
      { name: 'orders_customer_id_fkey', valid: false },
    ]);
    const halfway = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(halfway.results.find((result) => result.name === 'ledger')?.problems).toEqual([
      'foreign key customers_country_fkey of public.customers was re-added NOT VALID while masking and never validated: resume the run to validate it',
      'foreign key customers_referrer_fkey of public.customers was re-added NOT VALID while masking and never validated: resume the run to validate it',
    ]);

    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    expect(await fixture.query(validity)).toEqual(before);
    expect(await fixture.query(`SELECT count(*)::int AS n FROM refork.pending_keys`)).toEqual([{ n: 0 }]);
    expect((await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key })).problems).toEqual([]);
  });

  it('falls back to an in-place UPDATE when something depends on a key it would drop', async () => {
    // A view grouped by the primary key depends on the constraint itself.
    await fixture.query(
      `CREATE VIEW per_customer AS SELECT c.id, c.email, count(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id`,
    );
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });

    expect(await ledgerChecks()).toMatchObject({ method: 'update', fallback: expect.stringContaining('depend') });
    expect(
      await fixture.query(`SELECT relname FROM pg_class WHERE relnamespace = 'refork'::regnamespace AND relname LIKE 'stage%'`),
    ).toEqual([]);
    expect(await fixture.query(`SELECT email FROM customers WHERE id = 7`)).toEqual([{ email: expectedEmail(key, 'c7@gmail.com') }]);
    expect((await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key })).problems).toEqual([]);
  });
});

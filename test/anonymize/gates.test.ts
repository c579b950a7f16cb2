import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE users (id int PRIMARY KEY, email text, phone text, plan text);
    INSERT INTO users SELECT i, 'person' || (i % 7) || '@gmail.com', '+33 6 12 34 56 ' || lpad((i % 90)::text, 2, '0'), 'pro'
      FROM generate_series(1, 300) i;
    CREATE TABLE settings (name text, value text);
    INSERT INTO settings VALUES ('support', 'help@acme-support.com');
  `);
});
afterEach(async () => {
  await fixture.drop();
});

function rules(settings: unknown = { columns: { name: 'safe', value: { strategy: 'safe', scan: false } } }) {
  return parseRules({ tables: { users: { columns: { id: 'safe', email: 'email', phone: null, plan: 'safe' } }, settings } }, 'anonymize');
}

async function runAndVerify(ruleSet = rules()) {
  const runId = newRunId();
  await anonymizeDatabase({ connect: fixture.connect, rules: ruleSet, runId, key });
  return { runId, report: await verifyAnonymized({ connect: fixture.connect, rules: ruleSet, runId, key }) };
}

describe('verification gates', () => {
  it('all pass on a correctly masked database', async () => {
    const { report } = await runAndVerify();
    expect(report.problems).toEqual([]);
    expect(report.results.map((result) => result.name)).toEqual([
      'rules',
      'coverage',
      'ledger',
      'fixups',
      'residual',
      'indexes',
      'formats',
      'statistics',
      'pii-scan',
    ]);
  });

  it('pass with a materialized view created WITH NO DATA (pagila has one): it holds nothing to scan', async () => {
    await fixture.query('CREATE MATERIALIZED VIEW user_plans AS SELECT plan, count(*) AS n FROM users GROUP BY plan WITH NO DATA');
    const { report } = await runAndVerify();
    expect(report.problems).toEqual([]);
  });

  it('formats: fail on a value that does not look masked', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: rules(), runId, key });
    await fixture.query(`UPDATE users SET email = 'leak@example.test', phone = 'x' WHERE id = 1`);
    const report = await verifyAnonymized({ connect: fixture.connect, rules: rules(), runId, key });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        'public.users."email": 1 sampled values do not look masked (wrong shape for its strategy)',
        'public.users."phone": 1 sampled values do not look masked (wrong shape for its strategy)',
      ]),
    );
  });

  it('pii-scan: fails on personal data in a column declared safe', async () => {
    const { report } = await runAndVerify(rules('safe'));
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(
      'public.settings."value": 1 of 1 sampled values look like email addresses; mask the column (or, if the values are public, declare it { strategy: safe, scan: false })',
    );
  });

  it('statistics: fail while pg_stats still holds the original values, pass after ANALYZE', async () => {
    // Masked by hand without ANALYZE, as a naive tool would: the ledger says done, pg_stats disagrees.
    await fixture.query('ANALYZE users');
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: parseRules({ tables: { settings: 'truncate' } }, 'anonymize'), runId, key });
    const masked = Array.from({ length: 7 }, (_, i) => [`person${i}@gmail.com`, expectedEmail(key, `person${i}@gmail.com`)]);
    for (const [original, pseudonym] of masked)
      await fixture.query(`UPDATE users SET email = $2, phone = NULL WHERE email = $1`, [original, pseudonym]);
    const checks = { residual: { email: { sampled: 100, unchanged: 0 }, phone: { sampled: 100, unchanged: 0 } } };
    await fixture.query(`INSERT INTO refork.anonymized (table_name, run_id, rows, checks) VALUES ('public.users', $1, 300, $2)`, [
      runId,
      checks,
    ]);
    const ruleSet = parseRules(
      { tables: { users: { columns: { id: 'safe', email: 'email', phone: null, plan: 'safe' } }, settings: 'truncate' } },
      'anonymize',
    );

    const before = await verifyAnonymized({ connect: fixture.connect, rules: ruleSet, runId, key });
    expect(before.problems).toEqual(
      expect.arrayContaining([
        'pg_stats for public.users."email" still holds unmasked values: run ANALYZE public.users',
        'statistics of public.users.email hold what look like email addresses: run ANALYZE on it after masking',
      ]),
    );
    expect(before.results.filter((result) => !result.ok).map((result) => result.name)).toEqual(['statistics']);

    await fixture.query('ANALYZE users');
    expect((await verifyAnonymized({ connect: fixture.connect, rules: ruleSet, runId, key })).problems).toEqual([]);
  });

  it('refreshes materialized views, so they hold masked values', async () => {
    await fixture.query(`CREATE MATERIALIZED VIEW user_emails AS SELECT email FROM users`);
    const { report } = await runAndVerify();
    expect(report.problems).toEqual([]);
    const rows = await fixture.query<{ email: string }>('SELECT DISTINCT email FROM user_emails');
    expect(rows.every((row) => row.email.endsWith('@example.test'))).toBe(true);
  });

  it('ledger and pii-scan: fail on a stale materialized view', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: rules(), runId, key });
    // A view created from originals after the run (think: restored from the fork's base backup).
    await fixture.query(`CREATE TABLE originals AS SELECT 'someone@gmail.com'::text AS email`);
    await fixture.query(`CREATE MATERIALIZED VIEW stale AS SELECT email FROM originals`);
    const ruleSet = parseRules(
      {
        tables: { users: { columns: { id: 'safe', email: 'email', phone: null, plan: 'safe' } }, settings: 'truncate', originals: 'safe' },
      },
      'anonymize',
    );
    const report = await verifyAnonymized({ connect: fixture.connect, rules: ruleSet, runId, key });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `materialized view public.stale was not refreshed by run ${runId}: it may still hold original values`,
        'public.stale."email": 1 of 1 sampled values look like email addresses; mask the column (or, if the values are public, declare it { strategy: safe, scan: false })',
      ]),
    );
  });

  it('indexes: fail on an index left invalid', async () => {
    const { runId } = await runAndVerify();
    await fixture.query(`CREATE TABLE dupes (v int)`);
    await fixture.query(`INSERT INTO dupes VALUES (1), (1)`);
    await expect(fixture.query(`CREATE UNIQUE INDEX CONCURRENTLY dupes_v ON dupes (v)`)).rejects.toThrow();
    const ruleSet = parseRules(
      { tables: { users: { columns: { id: 'safe', email: 'email', phone: null, plan: 'safe' } }, settings: 'truncate', dupes: 'safe' } },
      'anonymize',
    );
    const report = await verifyAnonymized({ connect: fixture.connect, rules: ruleSet, runId, key });
    expect(report.problems).toContain('index dupes_v is not valid: rebuild it (REINDEX INDEX dupes_v) before promotion');
  });

  it('fail closed: a gate that errors could not check (not a finding), and the gates after it still run', async () => {
    const { runId } = await runAndVerify();
    const broken = { name: 'broken', run: async () => Promise.reject(new Error('boom')) };
    const counted = { name: 'after', run: async () => ['ran'] };
    const report = await verifyAnonymized({ connect: fixture.connect, rules: rules(), runId, key }, [broken, counted]);
    expect(report).toMatchObject({ ok: false, problems: ['ran'], unchecked: ['check broken could not run: boom'] });
  });
});

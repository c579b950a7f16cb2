import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, expectedHash, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE users (id int PRIMARY KEY, email text, upper_email text GENERATED ALWAYS AS (upper(email)) STORED);
    INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules({ tables: { users: { columns: { id: 'safe', email: 'email' } } } }, 'anonymize');

async function runAndVerify(rules = RULES) {
  const runId = newRunId();
  await anonymizeDatabase({ connect: fixture.connect, rules, runId, key });
  return verifyAnonymized({ connect: fixture.connect, rules, runId, key });
}

describe('coverage', () => {
  it('counts a generated column as covered: it is recomputed from masked inputs', async () => {
    const report = await runAndVerify();
    expect(report.problems).toEqual([]);
    expect(await fixture.query('SELECT upper_email FROM users')).toEqual([
      { upper_email: expectedEmail(key, 'ada@example.com').toUpperCase() },
    ]);
  });

  it('halts on a column added after the rules were written, naming it', async () => {
    await fixture.query(`ALTER TABLE users ADD COLUMN phone text, ADD COLUMN signup_source text`);
    const report = await runAndVerify();
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(
      'public.users: columns phone, signup_source are not classified (added since the rules were written?): mask them or mark them safe',
    );
  });

  it('halts on a table nobody wrote a rule for', async () => {
    await fixture.query(`CREATE TABLE leads (id int, contact_email text)`);
    const report = await runAndVerify();
    expect(report.problems).toContain(
      'public.leads has no rule (columns id, contact_email): classify every column, or truncate it or mark it safe',
    );
  });

  it('suggests a rule patch that names each uncovered column with a strategy guessed from its name', async () => {
    await fixture.query(`ALTER TABLE users ADD COLUMN phone text, ADD COLUMN signup_source text`);
    await fixture.query(`CREATE TABLE "Leads 2" (contact_email text, first_name text, notes text NOT NULL)`);
    const { suggestedPatch } = await runAndVerify();
    expect(suggestedPatch).toBeDefined();
    const patch = parseYaml(suggestedPatch ?? '');
    expect(patch).toEqual({
      tables: {
        users: { columns: { phone: { strategy: 'fake', kind: 'phone' }, signup_source: 'safe' } },
        'Leads 2': { columns: { contact_email: 'email', first_name: { strategy: 'fake', kind: 'first_name' }, notes: 'hash' } },
      },
    });
    // The patch is valid rules as it stands.
    expect(() => parseRules(patch, 'patch')).not.toThrow();
  });

  it("is satisfied by a truncated or all-safe table, and ignores refork's own ledger", async () => {
    await fixture.query(`CREATE TABLE sessions (token text); CREATE TABLE countries (code text)`);
    const rules = parseRules(
      { tables: { users: { columns: { id: 'safe', email: 'email' } }, sessions: 'truncate', countries: 'safe' } },
      'anonymize',
    );
    expect((await runAndVerify(rules)).problems).toEqual([]);
  });
});

describe('awkward schemas', () => {
  it('masks and verifies a partitioned table, a composite key with no single-column PK, and a jsonb column', async () => {
    await fixture.query(`
      CREATE TABLE events (tenant int, seq int, happened date, actor_email text, payload jsonb, PRIMARY KEY (tenant, seq, happened))
        PARTITION BY RANGE (happened);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO events VALUES (1, 1, '2024-03-01', 'Ada@x.org', '{"ip": "10.0.0.1", "n": 1}'), (1, 2, '2025-03-01', 'bob@x.org', '{"ip": "10.0.0.2"}');
    `);
    const rules = parseRules(
      {
        tables: {
          users: { columns: { id: 'safe', email: 'email' } },
          events: {
            columns: {
              tenant: 'safe',
              seq: 'safe',
              happened: 'safe',
              actor_email: 'email',
              payload: { strategy: 'json', paths: { ip: 'hash' } },
            },
          },
        },
      },
      'anonymize',
    );
    const report = await runAndVerify(rules);
    expect(report.problems).toEqual([]);
    expect(await fixture.query('SELECT actor_email, payload FROM events ORDER BY seq')).toEqual([
      { actor_email: expectedEmail(key, 'ada@x.org'), payload: { ip: expectedHash(key, '10.0.0.1'), n: 1 } },
      { actor_email: expectedEmail(key, 'bob@x.org'), payload: { ip: expectedHash(key, '10.0.0.2') } },
    ]);
  });
});

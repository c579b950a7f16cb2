import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { hmacPads } from '../../src/anonymize/hmac.js';
import { adminQuery, serverUrl } from '../support/databases.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;

beforeAll(async () => {
  // The custom sql rule below calls pgcrypto's hmac() itself; refork's own masks need no extension.
  fixture = await createFixture(`
    CREATE EXTENSION pgcrypto;
    CREATE TABLE people (id int PRIMARY KEY, email text, name text, meta jsonb);
    INSERT INTO people SELECT i, 'p' || i || '@example.com', 'Person ' || i, jsonb_build_object('phone', '+33 6 ' || i)
      FROM generate_series(1, 60000) i;
  `);
});
afterAll(async () => {
  await fixture.drop();
});

const RULES = parseRules(
  {
    tables: {
      people: {
        columns: {
          email: 'email',
          name: { strategy: 'sql', expression: "encode(hmac({column}, {key}, 'sha256'), 'hex')" },
          meta: { strategy: 'json', paths: { phone: 'hash' } },
        },
      },
    },
  },
  'anonymize',
);

/** The HMAC pads are as secret as the key: as hex, the way they would show in text. */
function padsOf(key: string): string[] {
  const pads = hmacPads(key);
  return [pads.inner.toString('hex'), pads.outer.toString('hex')];
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a rejection');
}

describe('the key', () => {
  it('never appears in pg_stat_activity while masking runs', async () => {
    const key = newKey();
    const seen: string[] = [];
    const watcher = new pg.Client({ connectionString: serverUrl() });
    await watcher.connect();
    let running = true;
    const watching = (async () => {
      while (running) {
        const result = await watcher.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity WHERE application_name = 'refork-anonymize'`,
        );
        seen.push(...result.rows.map((row) => row.query));
      }
    })();
    try {
      await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key });
    } finally {
      running = false;
      await watching;
      await watcher.end();
    }
    // The watcher must actually have caught the masking statement, or this test proves nothing.
    expect(seen.some((query) => query.includes('"public"."people"') && query.includes('pg_catalog.sha256('))).toBe(true);
    expect(seen.filter((query) => [key, ...padsOf(key)].some((secret) => query.includes(secret)))).toEqual([]);
  });

  it('never lands in a table, a function body, a setting or a comment', async () => {
    const key = newKey();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key });
    const tables = await fixture.query<{ name: string }>(`SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables`);
    expect(tables.map((table) => table.name)).toContain('refork.anonymized');
    for (const table of tables) {
      for (const secret of [key, ...padsOf(key)]) {
        const hits = await fixture.query(`SELECT 1 FROM ${table.name} t WHERE t::text LIKE '%' || $1 || '%'`, [secret]);
        expect(hits, table.name).toEqual([]);
      }
    }
    const catalogs = [
      `SELECT prosrc AS text FROM pg_proc`,
      `SELECT array_to_string(setconfig, ',') AS text FROM pg_db_role_setting`,
      `SELECT description AS text FROM pg_description`,
      `SELECT setting AS text FROM pg_settings`,
    ];
    for (const sql of catalogs) {
      const rows = await adminQuery(fixture.adminUrl, sql);
      expect(
        rows.rows.filter((row: { text: string | null }) => [key, ...padsOf(key)].some((secret) => row.text?.includes(secret))),
        sql,
      ).toEqual([]);
    }
  });

  it('is cut out of an error message even when Postgres echoes it', async () => {
    const key = newKey();
    const rules = parseRules(
      { tables: { people: { columns: { name: { strategy: 'sql', expression: '({key})::int::text || {column}' } } } } },
      'anonymize',
    );
    const error = await errorOf(anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key }));
    expect(error.message).toMatch(/anonymizing public\.people \(columns "name"\) failed: invalid input syntax for type integer: "\*\*\*"/);
    expect(error.message).not.toContain(key);
  });

  it('and a connection password are cut out of connection errors', async () => {
    const key = newKey();
    const connect = async (): Promise<pg.Client> => {
      throw new Error(`could not reach postgres://owner:${fixture.password}@db.invalid:5432/x with ${key}`);
    };
    const error = await errorOf(anonymizeDatabase({ connect, rules: RULES, runId: newRunId(), key }));
    expect(error.message).not.toContain(fixture.password);
    expect(error.message).not.toContain(key);
    const report = await verifyAnonymized({ connect, rules: RULES, runId: newRunId(), key });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).not.toContain(fixture.password);
    expect(report.problems.join('\n')).not.toContain(key);
  });
});

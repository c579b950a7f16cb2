// A fresh database owned by a fresh NON-superuser role, as on Heroku: whatever the engine does
// here, it does with the owner's rights only.
import { createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized, type AnonymizeRules, type VerifyReport } from '../../src/anonymize/index.js';
import { loadCatalog } from '../../src/anonymize/catalog.js';
import { buildPlan } from '../../src/anonymize/plan.js';
import { adminQuery, createTestDatabase, databaseUrl, serverUrl } from '../support/databases.js';

export interface Fixture {
  url: string;
  /** The same database as the superuser, for looking where the owner cannot. */
  adminUrl: string;
  role: string;
  password: string;
  /** A new owner connection each call, like the pipeline's connector. */
  connect(): Promise<pg.Client>;
  /** Runs one statement as the owner. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createFixture(schema: string): Promise<Fixture> {
  const database = await createTestDatabase('anon');
  const role = `owner_${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const server = serverUrl();
  await adminQuery(server, `CREATE ROLE "${role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
  await adminQuery(server, `ALTER DATABASE "${database.name}" OWNER TO "${role}"`);
  const url = new URL(databaseUrl(server, database.name));
  url.username = role;
  url.password = password;
  const connect = async () => {
    const client = new pg.Client({ connectionString: url.toString() });
    // As the runner's own connector does: a session cut while idle (the fixture's DROP DATABASE
    // ... WITH (FORCE)) fails its next query, instead of crashing the test process.
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = await connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  await query(schema);
  return {
    url: url.toString(),
    adminUrl: database.url,
    role,
    password,
    connect,
    query,
    drop: async () => {
      await database.drop();
      await adminQuery(server, `DROP ROLE IF EXISTS "${role}"`);
    },
  };
}

export function newKey(): string {
  return `k-${randomBytes(24).toString('hex')}`;
}

/** What the engine's keyed hash must produce, computed independently in Node. */
export function expectedHash(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/** The fake word a keyed hash picks: word n of `list`, n from 4 bytes of HMAC-SHA256(key, value) at `offset`. */
export function expectedPick(key: string, list: readonly string[], value: string, offset: number): string | undefined {
  return list[Number.parseInt(expectedHash(key, value).slice(offset * 2, offset * 2 + 8), 16) % list.length];
}

export function expectedEmail(key: string, email: string, domain = 'example.test'): string {
  return `u${expectedHash(key, email.toLowerCase()).slice(0, 16)}@${domain}`;
}

/** A run id no other test uses. */
export function newRunId(): string {
  return `run-${randomBytes(6).toString('hex')}`;
}

/** Call at the top of a test file: makes a fixture per call, each dropped after the test that made it. */
export function fixturesPerTest(): (schema: string) => Promise<Fixture> {
  const made: Fixture[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((fixture) => fixture.drop()));
  });
  return async (schema) => {
    const fixture = await createFixture(schema);
    made.push(fixture);
    return fixture;
  };
}

/** Masks the fixture under `input` (rules as YAML would give them) in a fresh run, then verifies it. */
export async function maskAndVerify(fixture: Fixture, input: unknown, key: string): Promise<VerifyReport> {
  const rules = parseRules(input, 'anonymize');
  const runId = newRunId();
  await anonymizeDatabase({ connect: fixture.connect, rules, runId, key });
  return verifyAnonymized({ connect: fixture.connect, rules, runId, key });
}

/** The baseline every faster path must equal: each table's compiled UPDATE run as it is, in one session. */
export async function plainUpdates(fixture: Fixture, rules: AnonymizeRules, key: string): Promise<void> {
  const client = await fixture.connect();
  try {
    const plan = buildPlan(rules, await loadCatalog(client), { key });
    for (const step of plan.updates) await client.query(step.sql, step.params);
  } finally {
    await client.end();
  }
}

/** A digest of a table's rows in key order (column `id`): equal when the rows are. */
export async function digest(fixture: Fixture, table: string): Promise<string> {
  const [row] = await fixture.query<{ digest: string }>(`SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS digest FROM ${table} t`);
  return row?.digest ?? '';
}

/** 60,000 people with a unique masked column, an index over a masked one, and masks of every kind: the faster paths' test table. */
export const PEOPLE_SCHEMA = `
  CREATE TABLE people (
    id int PRIMARY KEY, email text NOT NULL UNIQUE, first_name text, city varchar(40), born date, phone text,
    score int, code char(6), nick text, note text);
  CREATE INDEX people_city ON people (city);
  INSERT INTO people
    SELECT i, 'p' || i || '@mail.example.com', CASE WHEN i % 7 = 0 THEN NULL ELSE 'First' || (i % 50) END, 'City ' || (i % 30),
           date '1970-01-01' + (i % 400), '+1 202 555 ' || lpad(i::text, 6, '0'), i % 90, lpad((i % 40)::text, 4, '0'),
           CASE WHEN i % 11 = 0 THEN NULL ELSE 'nick' || (i % 25) END, 'secret ' || i
      FROM generate_series(1, 60000) i;
  ANALYZE;
`;
export const PEOPLE_RULES = parseRules(
  {
    tables: {
      people: {
        columns: {
          id: 'safe',
          email: 'email',
          first_name: { strategy: 'fake', kind: 'full_name' },
          city: { strategy: 'fake', kind: 'city' },
          born: { strategy: 'shift', days: 20 },
          phone: { strategy: 'fake', kind: 'phone' },
          score: { strategy: 'noise', ratio: 0.2 },
          code: { strategy: 'hash', length: 6 },
          nick: { strategy: 'fake', kind: 'username' },
          note: null,
        },
      },
    },
  },
  'anonymize',
);

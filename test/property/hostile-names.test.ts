// Table and column names with quotes, spaces, unicode and SQL in them, and constants that are
// SQL: the engine masks exactly the named data and executes none of it (a canary survives).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, expectedHash, newKey, type Fixture } from '../anonymize/fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.drop();
  fixture = undefined;
});

/** Quotes an identifier for the test's own setup SQL (independent of the engine's quoting). */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

const TABLES = ['a"; DROP TABLE canary; --', 'Customer Names', 'ünïcødé 客户', "Robert'); DROP TABLE canary;--", 'select'];
const COLUMNS = { hashed: 'e"mail; DROP TABLE canary', emailed: 'E-Mail Address', nulled: "phone'--", constant: 'größe ✓' };
const CONSTANT = "'); DROP TABLE canary; --";

describe('hostile identifiers and values', () => {
  it('masks tables and columns named with quotes, spaces, unicode and SQL, and runs none of it', async () => {
    const schema = [
      'CREATE TABLE canary (id int PRIMARY KEY); INSERT INTO canary VALUES (1);',
      ...TABLES.map(
        (table) => `
        CREATE TABLE ${ident(table)} (id int PRIMARY KEY, ${ident(COLUMNS.hashed)} text, ${ident(COLUMNS.emailed)} text, ${ident(COLUMNS.nulled)} text, ${ident(COLUMNS.constant)} text);
        INSERT INTO ${ident(table)} VALUES
          (1, ${literal(`${table} secret`)}, 'ada@lovelace.org', '+44 1234', 'x'),
          (2, ${literal('O\'Brien "quoted"')}, 'bob@example.com', NULL, 'y');`,
      ),
    ].join('\n');
    fixture = await createFixture(schema);
    const f = fixture;
    const key = newKey();
    const tables = Object.fromEntries(
      TABLES.map((table) => [
        table,
        {
          columns: {
            id: 'safe',
            [COLUMNS.hashed]: 'hash',
            [COLUMNS.emailed]: 'email',
            [COLUMNS.nulled]: null,
            [COLUMNS.constant]: { strategy: 'constant', value: CONSTANT },
          },
        },
      ]),
    );
    const rules = parseRules({ tables: { ...tables, canary: { columns: { id: 'safe' } } } }, 'hostile');
    const runId = `run-${randomBytes(6).toString('hex')}`;
    const report = await anonymizeDatabase({ connect: f.connect, rules, runId, key });
    expect(report.tables.map((t) => t.table).length).toBeGreaterThanOrEqual(TABLES.length);

    expect(await f.query('SELECT id FROM canary')).toEqual([{ id: 1 }]);
    for (const table of TABLES) {
      const rows = await f.query<Record<string, string | number | null>>(`SELECT * FROM ${ident(table)} ORDER BY id`);
      expect(rows).toEqual([
        {
          id: 1,
          [COLUMNS.hashed]: expectedHash(key, `${table} secret`),
          [COLUMNS.emailed]: expectedEmail(key, 'ada@lovelace.org'),
          [COLUMNS.nulled]: null,
          [COLUMNS.constant]: CONSTANT,
        },
        {
          id: 2,
          [COLUMNS.hashed]: expectedHash(key, 'O\'Brien "quoted"'),
          [COLUMNS.emailed]: expectedEmail(key, 'bob@example.com'),
          [COLUMNS.nulled]: null,
          [COLUMNS.constant]: CONSTANT,
        },
      ]);
    }
    const verified = await verifyAnonymized({ connect: f.connect, rules, runId, key });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    // Nothing else was created or dropped by the names: only our tables (and the engine's ledger).
    const names = (
      await f.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).map((r) => r.tablename);
    expect(names.filter((n) => !n.startsWith('refork_')).sort()).toEqual(['canary', ...TABLES].sort());
  });
});

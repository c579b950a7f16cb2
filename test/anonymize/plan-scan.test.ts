import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPlan, parseRules, planAnonymization, scanForPii } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, newKey, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE EXTENSION pgcrypto;
    CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, contact text, score int);
    INSERT INTO users VALUES (1, 'ada@gmail.com', 'call +44 20 7946 0958', 3);
    CREATE TABLE logs (line text);
  `);
});
afterAll(async () => {
  await fixture.drop();
});

describe('planAnonymization', () => {
  it('lists each table with its action, statement and masked preview, and writes nothing', async () => {
    const rules = parseRules({ tables: { users: { columns: { id: 'safe', email: 'email' } }, logs: 'truncate' } }, 'anonymize');
    const report = await planAnonymization({ connect: fixture.connect, rules, key, previewRows: 5 });
    expect(report.tables.map((table) => [table.table, table.action, table.estimatedRows >= 0])).toEqual([
      ['public.logs', 'truncate', true],
      ['public.users', 'update', true],
    ]);
    const users = report.tables[1];
    expect(users?.sql).toMatch(/^UPDATE ONLY "public"."users" AS "refork_row" SET "email" = /);
    expect(users?.sql).not.toContain(key);
    expect(users?.preview).toEqual([{ email: expectedEmail(key, 'ada@gmail.com') }]);
    expect(await fixture.query('SELECT email FROM users')).toEqual([{ email: 'ada@gmail.com' }]);
    expect(await fixture.query(`SELECT to_regclass('refork.anonymized') AS ledger`)).toEqual([{ ledger: null }]);
  });

  it('reports unclassified columns with a suggested patch, and prints', async () => {
    const rules = parseRules({ tables: { users: { columns: { id: 'safe', email: 'email' } }, logs: 'truncate' } }, 'anonymize');
    const report = await planAnonymization({ connect: fixture.connect, rules });
    expect(report.ok).toBe(false);
    expect(report.uncovered).toEqual([{ table: 'public.users', columns: ['contact', 'score'] }]);
    expect(formatPlan(report)).toContain('UNCOVERED public.users: contact, score');
  });

  it('reports a rule that does not fit the schema as a problem', async () => {
    const rules = parseRules({ tables: { users: { columns: { email: null } } } }, 'anonymize');
    const report = await planAnonymization({ connect: fixture.connect, rules });
    expect(report.problems.join('\n')).toMatch(/anonymize\.tables\.users\.columns\.email: "email" is under a unique index/);
  });
});

describe('scanForPii', () => {
  it('proposes rules from names and sampled values, as valid YAML', async () => {
    const report = await scanForPii(fixture.connect);
    const byColumn = Object.fromEntries(report.columns.map((column) => [`${column.table}.${column.column}`, column.suggestion.yaml]));
    expect(byColumn).toMatchObject({
      'public.users.id': 'safe',
      'public.users.email': 'email',
      'public.users.contact': '{ strategy: fake, kind: phone }',
      'public.users.score': 'safe',
    });
    const proposed = parseYaml(report.suggestedRules) as { anonymize: unknown };
    expect(() => parseRules(proposed.anonymize, 'anonymize')).not.toThrow();
  });
});

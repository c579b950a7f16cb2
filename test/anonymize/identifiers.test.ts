import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, quoteIdent } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, expectedHash, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE SCHEMA "My Schema";
    CREATE TABLE "Table With Space" ("Full Name" text, "we""ird" text, "select" text);
    CREATE TABLE "My Schema"."Übersicht.Kunden" ("e-mail" text, "名前" text);
    CREATE TABLE "My Schema"."log; DROP TABLE x" (line text);
    INSERT INTO "Table With Space" VALUES ('Ada', 'quote"d', 'kw');
    INSERT INTO "My Schema"."Übersicht.Kunden" VALUES ('Ada@x.org', '山田');
    INSERT INTO "My Schema"."log; DROP TABLE x" VALUES ('line');
  `);
});
afterAll(async () => {
  await fixture.drop();
});

describe('identifiers', () => {
  it('quoteIdent doubles embedded quotes and always quotes', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(quoteIdent('users')).toBe('"users"');
  });

  it('masks tables and columns with spaces, quotes, dots, keywords and unicode in their names', async () => {
    const rules = parseRules(
      {
        tables: {
          'Table With Space': { columns: { 'Full Name': 'hash', 'we"ird': 'hash', select: null } },
          '"My Schema"."Übersicht.Kunden"': { columns: { 'e-mail': 'email', 名前: 'hash' } },
          'My Schema.log; DROP TABLE x': 'truncate',
        },
      },
      'anonymize',
    );
    const result = await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });

    expect(result.tables.map((table) => table.table).sort()).toEqual(
      ['"My Schema"."Übersicht.Kunden"', '"My Schema"."log; DROP TABLE x"', 'public."Table With Space"'].sort(),
    );
    expect(await fixture.query('SELECT * FROM "Table With Space"')).toEqual([
      { 'Full Name': expectedHash(key, 'Ada'), 'we"ird': expectedHash(key, 'quote"d'), select: null },
    ]);
    expect(await fixture.query('SELECT * FROM "My Schema"."Übersicht.Kunden"')).toEqual([
      { 'e-mail': expectedEmail(key, 'ada@x.org'), 名前: expectedHash(key, '山田') },
    ]);
    expect(await fixture.query('SELECT count(*)::int AS n FROM "My Schema"."log; DROP TABLE x"')).toEqual([{ n: 0 }]);
  });
});

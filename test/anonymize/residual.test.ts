import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE people (id int PRIMARY KEY, email text, born date);
    INSERT INTO people SELECT i, 'p' || i || '@gmail.com', date '1980-01-01' + i FROM generate_series(1, 50) i;
    CREATE TABLE nokey (email text);
    INSERT INTO nokey SELECT 'q' || i || '@gmail.com' FROM generate_series(1, 50) i;
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules(
  {
    tables: {
      people: { columns: { id: 'safe', email: 'email', born: { strategy: 'shift', days: 10 } } },
      nokey: { columns: { email: 'email' } },
    },
  },
  'anonymize',
);

describe('residual check', () => {
  it('records, per masked column, how many sampled originals it checked and that none survived', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    expect(await fixture.query(`SELECT table_name, checks FROM refork.anonymized ORDER BY 1`)).toEqual([
      { table_name: 'public.nokey', checks: { method: 'update', residual: { email: { sampled: 50, unchanged: 0 } } } },
      {
        table_name: 'public.people',
        checks: { method: 'update', residual: { email: { sampled: 50, unchanged: 0 }, born: { sampled: 50, unchanged: 0 } } },
      },
    ]);
  });

  it("samples an inheritance parent as its UPDATE reads it, without the children that have rules of their own (LedgerSMB's notes)", async () => {
    await fixture.query(`CREATE TABLE note (id int PRIMARY KEY, note text);
      CREATE TABLE entity_note (entity_id int) INHERITS (note);
      INSERT INTO note SELECT i, 'written by ' || i || '@gmail.com' FROM generate_series(1, 10) i;
      INSERT INTO entity_note SELECT i, 'about ' || i || '@gmail.com', i FROM generate_series(1, 90) i`);
    const rules = parseRules(
      {
        tables: {
          note: { columns: { id: 'safe', note: 'hash' } },
          entity_note: { columns: { id: 'safe', note: 'hash', entity_id: 'safe' } },
        },
      },
      'anonymize',
    );
    await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });
    expect(
      await fixture.query(
        `SELECT table_name, checks->'residual' AS residual FROM refork.anonymized WHERE table_name LIKE '%note' ORDER BY 1`,
      ),
    ).toEqual([
      { table_name: 'public.entity_note', residual: { note: { sampled: 90, unchanged: 0 } } },
      { table_name: 'public.note', residual: { note: { sampled: 10, unchanged: 0 } } },
    ]);
    expect(await fixture.query(`SELECT count(*)::int AS n FROM note WHERE note LIKE '%@gmail.com'`)).toEqual([{ n: 0 }]);
  });

  it("finds sampled rows again by key in a table with a NOT NULL domain column (AdventureWorks' Flag)", async () => {
    await fixture.query(`CREATE DOMAIN flag boolean NOT NULL; CREATE TABLE staff (id int PRIMARY KEY, email text, current flag DEFAULT true);
      INSERT INTO staff (id, email) SELECT i, 's' || i || '@gmail.com' FROM generate_series(1, 20) i`);
    const rules = parseRules({ tables: { staff: { columns: { id: 'safe', email: 'email', current: 'safe' } } } }, 'anonymize');
    await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });
    expect(await fixture.query(`SELECT checks FROM refork.anonymized WHERE table_name = 'public.staff'`)).toEqual([
      { checks: { method: 'update', residual: { email: { sampled: 20, unchanged: 0 } } } },
    ]);
  });

  it('rolls the table back when masking silently left the originals in place', async () => {
    // A rewrite rule turns every UPDATE into nothing: the statement "succeeds" and changes no row.
    await fixture.query(`CREATE RULE swallow AS ON UPDATE TO people DO INSTEAD NOTHING`);
    await expect(anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key })).rejects.toThrow(
      /anonymizing public\.people \(columns "email", "born"\) failed: residual check: 50 of 50 sampled original values of column "email" are still there after masking/,
    );
    expect(await fixture.query(`SELECT table_name FROM refork.anonymized WHERE table_name = 'public.people'`)).toEqual([]);
  });

  it('makes verification fail for a table whose ledger row carries no residual check', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await fixture.query(`UPDATE refork.anonymized SET checks = NULL WHERE table_name = 'public.people'`);
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(report.problems).toEqual([
      'public.people."email": no residual check was recorded for this run',
      'public.people."born": no residual check was recorded for this run',
    ]);
  });
});

import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE users (id int PRIMARY KEY, email text, bio text);
    CREATE TABLE sessions (token text);
    CREATE TABLE countries (code text);
    INSERT INTO users VALUES (1, 'ada@example.com', 'hi');
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules(
  { tables: { users: { columns: { id: 'safe', email: 'email', bio: null } }, sessions: 'truncate', countries: 'safe' } },
  'anonymize',
);

describe('verifyAnonymized', () => {
  it('passes after a complete run with the same run id', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks).toBeGreaterThan(0);
  });

  it('fails when anonymization never ran', async () => {
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId: newRunId(), key });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('the ledger refork.anonymized is missing: anonymization never ran on this database');
  });

  it('fails for every planned table a run did not finish', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await fixture.query(`DELETE FROM refork.anonymized WHERE table_name = 'public.users'`);
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(`public.users was not anonymized by run ${runId} (no ledger row)`);
  });

  it('does not count tables finished by another run', async () => {
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key });
    const other = newRunId();
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId: other, key });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `public.sessions was not anonymized by run ${other} (no ledger row)`,
        `public.users was not anonymized by run ${other} (no ledger row)`,
      ]),
    );
  });

  it('fails when a rule names a column the database no longer has', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await fixture.query('ALTER TABLE users DROP COLUMN bio');
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/anonymize\.tables\.users\.columns\.bio: column "bio" does not exist in public\.users/);
  });

  it('fails closed when it cannot connect, as "could not check", not as a finding', async () => {
    const connect = async (): Promise<pg.Client> => {
      throw new Error('connection refused');
    };
    const report = await verifyAnonymized({ connect, rules: RULES, runId: newRunId(), key });
    expect(report).toMatchObject({ ok: false, problems: [], unchecked: ['verification could not run: connection refused'] });
  });
});

describe('verifyAnonymized on an inheritance parent', () => {
  it('reads the parent ONLY: its children are tables of their own, masked and checked by their own rules (LedgerSMB’s note)', async () => {
    const notes = await createFixture(`
      CREATE TABLE note (id int PRIMARY KEY, note text);
      CREATE TABLE entity_note (subject text) INHERITS (note);
      INSERT INTO note SELECT i, 'parent note ' || i FROM generate_series(1, 20) i;
      INSERT INTO entity_note SELECT 100 + i, 'child note ' || i, 'subject ' || i FROM generate_series(1, 200) i;
      ANALYZE;`);
    try {
      const input = {
        tables: {
          note: { columns: { id: 'safe', note: 'hash' } },
          entity_note: { columns: { id: 'safe', note: { strategy: 'constant', value: 'a note' }, subject: null } },
        },
      };
      const rules = parseRules(input, 'anonymize');
      const runId = newRunId();
      await anonymizeDatabase({ connect: notes.connect, rules, runId, key });
      const report = await verifyAnonymized({ connect: notes.connect, rules, runId, key });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      // The parent's statistics over its children were taken again once the child was masked.
      const stats = await notes.query<{ text: string }>(
        `SELECT concat_ws(' ', most_common_vals::text, histogram_bounds::text) AS text FROM pg_stats WHERE tablename = 'note' AND attname = 'note' AND inherited`,
      );
      expect(stats.length).toBe(1);
      expect(stats[0]?.text).not.toMatch(/(parent|child) note/);
    } finally {
      await notes.drop();
    }
  });
});

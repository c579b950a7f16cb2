import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, AnonymizeError, parseRules, type AnonymizeProgress } from '../../src/anonymize/index.js';
import { createFixture, expectedHash, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE a_people (id int PRIMARY KEY, name text);
    CREATE TABLE b_notes (id int PRIMARY KEY, body text);
    INSERT INTO a_people VALUES (1, 'Ada');
    INSERT INTO b_notes VALUES (1, 'secret');
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules({ tables: { a_people: { columns: { name: 'hash' } }, b_notes: { columns: { body: 'hash' } } } }, 'anonymize');

async function values() {
  const [person] = await fixture.query<{ name: string }>('SELECT name FROM a_people');
  const [note] = await fixture.query<{ body: string }>('SELECT body FROM b_notes');
  return { name: person?.name, body: note?.body };
}

describe('resume', () => {
  it('a run stopped between tables, resumed with the same run id, masks each table exactly once', async () => {
    const runId = newRunId();
    const stop = new AbortController();
    await expect(
      anonymizeDatabase({
        connect: fixture.connect,
        rules: RULES,
        runId,
        key,
        signal: stop.signal,
        onProgress: (progress) => {
          if (progress.state === 'done') stop.abort();
        },
      }),
    ).rejects.toThrow(/aborted before public\.b_notes; resume with the same run id/);
    expect(await values()).toEqual({ name: expectedHash(key, 'Ada'), body: 'secret' });

    const events: AnonymizeProgress[] = [];
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key, onProgress: (progress) => events.push(progress) });
    // Not the hash of the hash: the finished table was skipped.
    expect(await values()).toEqual({ name: expectedHash(key, 'Ada'), body: expectedHash(key, 'secret') });
    expect(events.map((event) => [event.table, event.state, event.finished, event.total])).toEqual([
      ['public.a_people', 'skipped', 1, 2],
      ['public.b_notes', 'started', 1, 2],
      ['public.b_notes', 'done', 2, 2],
    ]);
  });

  it('a table whose transaction failed is rolled back whole and masked once on resume', async () => {
    const runId = newRunId();
    await fixture.query(`ALTER TABLE b_notes ADD CONSTRAINT short CHECK (length(body) < 10)`);
    await expect(anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key })).rejects.toThrow(
      /anonymizing public\.b_notes \(columns "body"\) failed: .*violates check constraint "short"/,
    );
    expect(await values()).toEqual({ name: expectedHash(key, 'Ada'), body: 'secret' });
    expect(await fixture.query('SELECT table_name FROM refork.anonymized')).toEqual([{ table_name: 'public.a_people' }]);

    await fixture.query('ALTER TABLE b_notes DROP CONSTRAINT short');
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    expect(await values()).toEqual({ name: expectedHash(key, 'Ada'), body: expectedHash(key, 'secret') });
  });

  it('records every finished table in refork.anonymized with the run id and row count', async () => {
    const runId = newRunId();
    const result = await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    expect(result.tables.map(({ table, rows, skipped }) => ({ table, rows, skipped }))).toEqual([
      { table: 'public.a_people', rows: 1, skipped: false },
      { table: 'public.b_notes', rows: 1, skipped: false },
    ]);
    expect(await fixture.query('SELECT table_name, run_id, rows::int FROM refork.anonymized ORDER BY 1')).toEqual([
      { table_name: 'public.a_people', run_id: runId, rows: 1 },
      { table_name: 'public.b_notes', run_id: runId, rows: 1 },
    ]);
  });

  it('an abort cancels the statement in flight and leaves the table untouched', async () => {
    const slow = parseRules(
      { tables: { b_notes: { columns: { body: { strategy: 'sql', expression: '(SELECT {column} || pg_sleep(30)::text)' } } } } },
      'anonymize',
    );
    const stop = new AbortController();
    const started = Date.now();
    const run = anonymizeDatabase({
      connect: fixture.connect,
      rules: slow,
      runId: newRunId(),
      key,
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.state === 'started') setTimeout(() => stop.abort(), 300);
      },
    });
    await expect(run).rejects.toThrow(AnonymizeError);
    await expect(run).rejects.toThrow(/aborted while masking public\.b_notes/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await values()).body).toBe('secret');
  });
});

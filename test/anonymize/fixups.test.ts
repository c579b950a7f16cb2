// Fix-ups in a real database as a non-superuser owner: each applied once whatever is retried,
// a failing one named without its literals, a lost session left to the step's retry, and the
// verifier's view of what a fix-up wrote (a test password passes, a real email does not).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../../src/anonymize/index.js';
import { applyFixups, fixupDigest, fixupRefs, FixupError } from '../../src/anonymize/fixups.js';
import { toStepFailure } from '../../src/runner/failure.js';
import { adminQuery } from '../support/databases.js';
import { until } from '../support/world.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, encrypted_password text, note text);
    CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE counter (n int NOT NULL);
    INSERT INTO users SELECT i, 'person' || i || '@gmail.com', 'secret-hash-' || i, 'hello' FROM generate_series(1, 40) i;
    INSERT INTO settings VALUES ('payments_url', 'https://api.payments.example.com'), ('new_checkout', 'off');
    INSERT INTO counter VALUES (0);
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const RULES = parseRules(
  {
    tables: {
      users: { columns: { id: 'safe', email: 'email', encrypted_password: 'hash', note: 'safe' } },
      settings: 'safe',
      counter: 'safe',
    },
  },
  'anonymize',
);

const STAFF_PASSWORD = `UPDATE users SET encrypted_password = '$2a$10$staffstaffstaffstaffstOq1n2wq3e4r5t6y7u8i9o0p' WHERE id <= 3`;
const SANDBOX = `UPDATE settings SET value = 'https://sandbox.payments.example.com' WHERE name = 'payments_url'`;
const COUNT = 'UPDATE counter SET n = n + 1';

async function counter(): Promise<number> {
  return (await fixture.query<{ n: number }>('SELECT n FROM counter'))[0]?.n ?? -1;
}

describe('applyFixups', () => {
  it('applies each fix-up once, in order, recording digests, rows and tables in the fork ledger', async () => {
    const runId = newRunId();
    const statements = [SANDBOX, COUNT, `INSERT INTO settings VALUES ('new_checkout_staff', 'on')`];
    const first = await applyFixups({ connect: fixture.connect, statements, runId, key });
    expect(first).toEqual([
      { ordinal: 1, digest: fixupDigest(SANDBOX, key), rows: 1, tables: [{ schema: 'public', table: 'settings' }], resumed: false },
      { ordinal: 2, digest: fixupDigest(COUNT, key), rows: 1, tables: [{ schema: 'public', table: 'counter' }], resumed: false },
      {
        ordinal: 3,
        digest: expect.stringMatching(/^[0-9a-f]{16}$/),
        rows: 1,
        tables: [{ schema: 'public', table: 'settings' }],
        resumed: false,
      },
    ]);
    // A resumed step (the run died after the commits, before its state was saved) applies none again.
    const again = await applyFixups({ connect: fixture.connect, statements, runId, key });
    expect(again.map((outcome) => [outcome.ordinal, outcome.resumed, outcome.rows])).toEqual([
      [1, true, 1],
      [2, true, 1],
      [3, true, 1],
    ]);
    expect(await counter()).toBe(1);
    const ledger = await fixture.query<{ ordinal: number; digest: string }>('SELECT ordinal, digest FROM refork.fixups ORDER BY ordinal');
    expect(ledger).toEqual(fixupRefs(statements, key));
    // The ledger holds digests, never the statement text.
    const stored = JSON.stringify(await fixture.query('SELECT * FROM refork.fixups'));
    expect(stored).not.toContain('sandbox');
  });

  it('keys digests with the anonymization key, so a password in a statement cannot be guessed back from one', () => {
    expect(fixupDigest(STAFF_PASSWORD, key)).not.toBe(fixupDigest(STAFF_PASSWORD, newKey()));
    expect(fixupDigest(STAFF_PASSWORD, key)).toBe(fixupDigest(STAFF_PASSWORD, key));
  });

  it.each([
    ['before', 0],
    ['after', 1],
  ])('applies a fix-up exactly once when the step dies just %s its commit', async (side, appliedBefore) => {
    const runId = newRunId();
    const statements = [COUNT, SANDBOX];
    const boundary = (name: string) => {
      if (name === `fork:fixup:commit:${side}`) throw new Error('killed');
    };
    await expect(applyFixups({ connect: fixture.connect, statements, runId, key, boundary })).rejects.toThrow('killed');
    expect(await counter()).toBe(appliedBefore);
    const outcomes = await applyFixups({ connect: fixture.connect, statements, runId, key });
    expect(outcomes.map((outcome) => outcome.resumed)).toEqual([appliedBefore === 1, false]);
    expect(await counter()).toBe(1);
  });

  it('fails for good on a failing statement, naming it by number and excerpt without its literals', async () => {
    const runId = newRunId();
    const failing = `INSERT INTO settings (name, value) VALUES ('payments_url', 'hunter2-staff-password')`;
    const error = await applyFixups({ connect: fixture.connect, statements: [COUNT, failing, SANDBOX], runId, key }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FixupError);
    const message = (error as Error).message;
    expect(message).toBe(
      `fix-up 2 (INSERT INTO settings (name, value) VALUES ('…', '…')) failed: duplicate key value violates unique constraint "settings_pkey"`,
    );
    expect(message).not.toContain('hunter2');
    expect(toStepFailure(error, 'fixingUp', 1)).toMatchObject({ retryable: false, code: 'fixup_failed' });
    // The one before it stays applied (the run is compensated: the whole fork goes); the failing one is not in the ledger.
    expect(await counter()).toBe(1);
    expect(await fixture.query('SELECT ordinal FROM refork.fixups')).toEqual([{ ordinal: 1 }]);
  });

  it('cuts the literals of the statement out of the server message too', async () => {
    const failing = `UPDATE counter SET n = 'pw-Sup3rSecret'`;
    const error = (await applyFixups({ connect: fixture.connect, statements: [failing], runId: newRunId(), key }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/^fix-up 1 \(UPDATE counter SET n = '…'\) failed: invalid input syntax for type integer: "…"$/);
  });

  it('stops when a fix-up changed while the run was under way', async () => {
    const runId = newRunId();
    await applyFixups({ connect: fixture.connect, statements: [COUNT], runId, key });
    const error = await applyFixups({ connect: fixture.connect, statements: [SANDBOX], runId, key }).catch((e: unknown) => e);
    expect(toStepFailure(error, 'fixingUp', 1)).toMatchObject({ retryable: false, code: 'fixup_changed' });
    expect((error as Error).message).toMatch(/^fix-up 1 changed while this run was under way/);
  });

  it('leaves a lost session to the step retry, and the retry applies the fix-up once', async () => {
    const runId = newRunId();
    // The test holds the table, so the fix-up waits inside its transaction until its session is cut.
    const holder = await fixture.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE counter IN ACCESS EXCLUSIVE MODE');
    const attempt = applyFixups({ connect: fixture.connect, statements: [COUNT], runId, key }).catch((e: unknown) => e);
    await until(async () => {
      const waiting = await adminQuery(
        fixture.adminUrl,
        `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = 'refork-fixups' AND wait_event_type = 'Lock'`,
      );
      return waiting.rows.length > 0;
    }, 'the fix-up to wait for the lock');
    const error = await attempt;
    await holder.query('ROLLBACK');
    await holder.end();
    expect(error).not.toBeInstanceOf(FixupError);
    expect(toStepFailure(error, 'fixingUp', 1).retryable).toBe(true);
    expect(await counter()).toBe(0);
    expect((await applyFixups({ connect: fixture.connect, statements: [COUNT], runId, key }))[0]?.resumed).toBe(false);
    expect(await counter()).toBe(1);
  });
});

describe('verification of fixed-up data', () => {
  async function maskAndFix(statements: string[]) {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await applyFixups({ connect: fixture.connect, statements, runId, key });
    return verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key, fixups: fixupRefs(statements, key) });
  }

  it('accepts a known test password a fix-up wrote into a masked column', async () => {
    const report = await maskAndFix([STAFF_PASSWORD, SANDBOX]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('still rejects the same value when no fix-up wrote it (the shape check is what a fix-up is spared)', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await fixture.query(STAFF_PASSWORD);
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key });
    expect(report.problems).toContainEqual(
      expect.stringMatching(/^public\.users\."encrypted_password": 3 sampled values do not look masked/),
    );
  });

  it('accepts statistics that hold what a fix-up wrote (autovacuum may analyze after the fix-ups), not the same values written otherwise', async () => {
    const staff = STAFF_PASSWORD.replace('id <= 3', 'id <= 20');
    const fixed = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: fixed, key });
    await applyFixups({ connect: fixture.connect, statements: [staff], runId: fixed, key });
    await fixture.query('ANALYZE users');
    const report = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId: fixed, key, fixups: fixupRefs([staff], key) });
    expect(report.problems).toEqual([]);

    const other = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: other, key });
    await fixture.query(staff);
    await fixture.query('ANALYZE users');
    const unexplained = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId: other, key });
    expect(unexplained.problems).toContain(
      'pg_stats for public.users."encrypted_password" still holds unmasked values: run ANALYZE public.users',
    );
  });

  it('catches a fix-up that writes a production email back into a masked column, every row of it', async () => {
    const report = await maskAndFix([SANDBOX, `UPDATE users SET email = 'jane.doe@gmail.com' WHERE id = 7`]);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(
      'fix-up 2 wrote what look like email addresses into public.users."email" (1 of the 1 rows it wrote): a fix-up must not put personal data back; use reserved values (example.test, 555 numbers)',
    );
  });

  it('catches personal data a fix-up writes into a column no rule masks', async () => {
    const report = await maskAndFix([`UPDATE users SET note = 'call me on +44 20 7946 0958' WHERE id <= 2`]);
    expect(report.problems).toContainEqual(
      expect.stringMatching(/^fix-up 1 wrote what look like phone numbers into public\.users\."note" \(2 of the 2 rows/),
    );
  });

  it('fails when a configured fix-up is not in the ledger, or the ledger holds one no longer configured', async () => {
    const runId = newRunId();
    await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId, key });
    await applyFixups({ connect: fixture.connect, statements: [COUNT], runId, key });
    const missing = await verifyAnonymized({
      connect: fixture.connect,
      rules: RULES,
      runId,
      key,
      fixups: fixupRefs([COUNT, SANDBOX], key),
    });
    expect(missing.problems).toContain(`fix-up 2 was not applied by run ${runId} (no row in refork.fixups)`);
    const extra = await verifyAnonymized({ connect: fixture.connect, rules: RULES, runId, key, fixups: [] });
    expect(extra.problems).toContain(`fix-up 1 was applied by run ${runId} but is no longer configured`);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, RulesError } from '../../src/anonymize/index.js';
import { createFixture, expectedHash, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();

beforeEach(async () => {
  fixture = await createFixture(`
    CREATE TABLE accounts (id int PRIMARY KEY, name text);
    CREATE TABLE tokens (id int PRIMARY KEY, account_id int REFERENCES accounts, token text);
    CREATE TABLE audit (old_name text);
    CREATE FUNCTION keep_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO audit VALUES (OLD.name); RETURN NEW; END $$;
    CREATE TRIGGER audit_names BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION keep_audit();
    CREATE TRIGGER replica_only BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION keep_audit();
    ALTER TABLE accounts ENABLE REPLICA TRIGGER replica_only;
    INSERT INTO accounts VALUES (1, 'Ada');
    INSERT INTO tokens VALUES (1, 1, 'tok');
  `);
});
afterEach(async () => {
  await fixture.drop();
});

const run = (tables: Record<string, unknown>) =>
  anonymizeDatabase({ connect: fixture.connect, rules: parseRules({ tables }, 'anonymize'), runId: newRunId(), key });

describe('whole-table strategies and triggers', () => {
  it('truncate empties the table', async () => {
    await run({ tokens: 'truncate' });
    expect(await fixture.query('SELECT * FROM tokens')).toEqual([]);
  });

  it('truncates a referenced table together with the tables that reference it', async () => {
    await run({ accounts: 'truncate', tokens: 'truncate' });
    expect(await fixture.query('SELECT (SELECT count(*) FROM accounts)::int AS a, (SELECT count(*) FROM tokens)::int AS t')).toEqual([
      { a: 0, t: 0 },
    ]);
  });

  it('refuses to truncate a table that a kept table references, naming the referrer', async () => {
    await expect(run({ accounts: 'truncate' })).rejects.toThrow(RulesError);
    await expect(run({ accounts: 'truncate' })).rejects.toThrow(
      /anonymize\.tables\.accounts: public\.accounts is referenced by a foreign key from public\.tokens; truncate public\.tokens too/,
    );
  });

  it('safe leaves the table as it is and plans nothing for it', async () => {
    const result = await run({ accounts: 'safe' });
    expect(result.tables).toEqual([]);
    expect(await fixture.query('SELECT name FROM accounts')).toEqual([{ name: 'Ada' }]);
  });

  it('does not fire user triggers while masking, so no original value is copied elsewhere', async () => {
    await run({ accounts: { columns: { name: 'hash' } } });
    expect(await fixture.query('SELECT name FROM accounts')).toEqual([{ name: expectedHash(key, 'Ada') }]);
    expect(await fixture.query('SELECT * FROM audit')).toEqual([]);
  });

  it('puts every user trigger back in the mode it had', async () => {
    await run({ accounts: { columns: { name: 'hash' } } });
    expect(
      await fixture.query(
        `SELECT tgname, tgenabled::text FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal ORDER BY 1`,
      ),
    ).toEqual([
      { tgname: 'audit_names', tgenabled: 'O' },
      { tgname: 'replica_only', tgenabled: 'R' },
    ]);
  });
});

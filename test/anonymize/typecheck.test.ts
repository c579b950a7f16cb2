// Every rule is compiled against its real table before anything runs: a constant or expression
// the column's type rejects is a one-line problem naming the YAML key, from `plan` and from the
// preflight check, never an error in the middle of a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, checkRules, parseRules, planAnonymization, typecheckRule } from '../../src/anonymize/index.js';
import { loadCatalog } from '../../src/anonymize/catalog.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE TYPE mood AS ENUM ('happy', 'sad');
    CREATE DOMAIN us_zip AS text CHECK (VALUE ~ '^[0-9]{5}$');
    CREATE TABLE addresses (id int PRIMARY KEY, street text);
    CREATE TABLE customers (
      id uuid PRIMARY KEY, ref uuid, address_id int REFERENCES addresses, balance numeric(10, 2), active boolean, prefs jsonb,
      tags int[], feeling mood, zip us_zip, code varchar(4), name text);
    INSERT INTO addresses VALUES (1, '1 Main Street');
    INSERT INTO customers VALUES (md5('a')::uuid, md5('b')::uuid, 1, 10.5, true, '{}', '{1}', 'happy', '12345', 'AB12', 'Ada');
  `);
});
afterAll(async () => {
  await fixture.drop();
});

const SAFE = {
  id: 'safe',
  ref: 'safe',
  address_id: 'safe',
  balance: 'safe',
  active: 'safe',
  prefs: 'safe',
  tags: 'safe',
  feeling: 'safe',
  zip: 'safe',
  code: 'safe',
  name: 'safe',
};
const rules = (customers: Record<string, unknown>) =>
  parseRules(
    { tables: { addresses: { columns: { id: 'safe', street: 'safe' } }, customers: { columns: { ...SAFE, ...customers } } } },
    'anonymize',
  );
const placeholder = { strategy: 'constant', value: 'REPLACE ME' };

describe('rules compiled against the real tables', () => {
  it('refuse a placeholder constant on an integer foreign key, naming the rule, before the run', async () => {
    const report = await planAnonymization({ connect: fixture.connect, rules: rules({ address_id: placeholder }) });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      'anonymize.tables.customers.columns.address_id: strategy constant does not fit column "address_id" (integer): invalid input syntax for type integer: "REPLACE ME"; give a value or expression of that type, or another strategy',
    ]);
  });

  it('list every rule that does not fit, each on one line, whatever the type', async () => {
    const check = await checkRules(
      fixture.connect,
      rules({
        ref: placeholder,
        balance: placeholder,
        active: placeholder,
        prefs: placeholder,
        tags: placeholder,
        feeling: { strategy: 'constant', value: 'angry' },
        zip: { strategy: 'constant', value: 'none' },
        name: { strategy: 'sql', expression: 'no_such_function({column})' },
        code: { strategy: 'constant', value: 'TOO LONG' },
      }),
    );
    expect(check.ok).toBe(false);
    expect(check.problems.map((problem) => problem.replace(/: strategy .*?: /, ': ').replace(/; give .*$/, ''))).toEqual([
      'anonymize.tables.customers.columns.code: the constant has 8 characters but the column is character varying(4); use a shorter value',
      'anonymize.tables.customers.columns.ref: invalid input syntax for type uuid: "REPLACE ME"',
      'anonymize.tables.customers.columns.balance: invalid input syntax for type numeric: "REPLACE ME"',
      'anonymize.tables.customers.columns.active: invalid input syntax for type boolean: "REPLACE ME"',
      'anonymize.tables.customers.columns.prefs: invalid input syntax for type json',
      'anonymize.tables.customers.columns.tags: malformed array literal: "REPLACE ME"',
      'anonymize.tables.customers.columns.feeling: invalid input value for enum mood: "angry"',
      'anonymize.tables.customers.columns.zip: value for domain us_zip violates check constraint "us_zip_check"',
      'anonymize.tables.customers.columns.name: function no_such_function(text) does not exist',
    ]);
  });

  it('pass rules that fit, and leave the database as it was', async () => {
    const fitting = rules({
      address_id: { strategy: 'constant', value: 1 },
      balance: { strategy: 'noise', ratio: 0.1 },
      active: { strategy: 'constant', value: false },
      prefs: { strategy: 'constant', value: '{"a": 1}' },
      tags: { strategy: 'constant', value: '{}' },
      feeling: { strategy: 'constant', value: 'sad' },
      zip: { strategy: 'constant', value: '00000' },
      code: { strategy: 'hash', length: 4 },
      name: { strategy: 'fake', kind: 'full_name' },
    });
    expect(await checkRules(fixture.connect, fitting)).toEqual({ ok: true, problems: [] });
    expect(await fixture.query('SELECT address_id, name FROM customers')).toEqual([{ address_id: 1, name: 'Ada' }]);
    // And the run does what the check promised.
    await anonymizeDatabase({ connect: fixture.connect, rules: fitting, runId: newRunId(), key: newKey() });
    expect(await fixture.query('SELECT address_id, active, prefs, feeling, zip FROM customers')).toEqual([
      { address_id: 1, active: false, prefs: { a: 1 }, feeling: 'sad', zip: '00000' },
    ]);
  });

  it('check one rule at a time, for a tool proposing rules', async () => {
    const client = await fixture.connect();
    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      const table = (await loadCatalog(client)).find({ schema: 'public', table: 'customers' });
      if (!table) throw new Error('no customers table');
      expect(
        await typecheckRule(client, table, {
          column: 'address_id',
          strategy: { kind: 'constant', value: 'REPLACE ME' },
          where: 'proposal',
        }),
      ).toMatch(/^proposal: strategy constant does not fit column "address_id" \(integer\): invalid input syntax for type integer/);
      expect(await typecheckRule(client, table, { column: 'address_id', strategy: { kind: 'hash' }, where: 'proposal' })).toBeUndefined();
      expect(
        await typecheckRule(client, table, { column: 'name', strategy: { kind: 'email', domain: 'example.test' }, where: 'proposal' }),
      ).toBeUndefined();
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });

  it('do not wait for a table a migration holds: the check could not run, which is not a finding', async () => {
    const migration = await fixture.connect();
    try {
      await migration.query('BEGIN');
      await migration.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      await expect(checkRules(fixture.connect, rules({}))).rejects.toThrow(/lock timeout/);
    } finally {
      await migration.query('ROLLBACK');
      await migration.end();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, RulesError } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, expectedHash, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
const key = newKey();
let tableCount = 0;

beforeAll(async () => {
  fixture = await createFixture('SELECT 1');
});
afterAll(async () => {
  await fixture.drop();
});

/** Creates a one-column-rule table from `columns` and `rows`, masks `column` with `strategy`, returns the column after. */
async function mask(type: string, values: unknown[], strategy: unknown, extra = ''): Promise<unknown[]> {
  const table = `t${++tableCount}`;
  await fixture.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, v ${type} ${extra})`);
  for (const value of values) await fixture.query(`INSERT INTO ${table} (v) VALUES ($1)`, [value]);
  await anonymizeDatabase({
    connect: fixture.connect,
    rules: parseRules({ tables: { [table]: { columns: { v: strategy } } } }, 'anonymize'),
    runId: newRunId(),
    key,
  });
  const rows = await fixture.query<{ v: unknown }>(`SELECT v FROM ${table} ORDER BY id`);
  return rows.map((row) => row.v);
}

async function planError(type: string, strategy: unknown, extra = ''): Promise<string> {
  try {
    await mask(type, [], strategy, extra);
  } catch (error) {
    if (error instanceof RulesError) return error.message;
    throw error;
  }
  throw new Error('expected a RulesError');
}

describe('strategies', () => {
  it('null empties the column', async () => {
    expect(await mask('text', ['a', null], null)).toEqual([null, null]);
  });

  it('constant writes the value, parsed with the column type', async () => {
    expect(await mask('int', [41, null], { strategy: 'constant', value: 7 })).toEqual([7, 7]);
  });

  it('hash writes the hex HMAC-SHA256 of the text under the key, and leaves null null', async () => {
    expect(await mask('text', ['Ada Lovelace', null], 'hash')).toEqual([expectedHash(key, 'Ada Lovelace'), null]);
  });

  it('hash fits a varchar(n) column by keeping the first n characters', async () => {
    expect(await mask('varchar(12)', ['Ada'], 'hash')).toEqual([expectedHash(key, 'Ada').slice(0, 12)]);
  });

  it('hash with a length keeps that many characters', async () => {
    expect(await mask('text', ['Ada'], { strategy: 'hash', length: 20 })).toEqual([expectedHash(key, 'Ada').slice(0, 20)]);
  });

  it('hash of an inet is a unique-local IPv6 address spelt by 30 hex digits, distinct values kept distinct (a unique IP column)', async () => {
    const originals = ['81.2.69.160', '81.2.69.161', '2001:db8::1'];
    const masked = await mask('inet', originals, 'hash', 'UNIQUE NOT NULL');
    // The digest is of the value as text, which for an inet includes its mask: 81.2.69.160/32.
    const text = (value: string) => `${value}/${value.includes(':') ? 128 : 32}`;
    const spelt = (value: string) => `fd${expectedHash(key, text(value)).slice(0, 30)}`.match(/.{4}/g)?.join(':');
    expect(masked).toEqual(originals.map((value) => spelt(value)?.replace(/(^|:)0+(?=[0-9a-f])/g, '$1')));
  });

  it('hash of a uuid is the uuid spelt by the first 32 hex digits', async () => {
    const original = '6f1c0f1e-7a53-4a0e-9b1e-2f1c0f1e7a53';
    const hex = expectedHash(key, original).slice(0, 32);
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    expect(await mask('uuid', [original], 'hash')).toEqual([uuid]);
  });

  it('hash of a bigint is a positive 60-bit number from the digest', async () => {
    const expected = BigInt(`0x${expectedHash(key, '12345').slice(0, 15)}`).toString();
    expect(await mask('bigint', [12345], 'hash')).toEqual([expected]);
  });

  it('email is u + 16 hex digits of the HMAC of the lower-cased address @example.test', async () => {
    expect(await mask('text', ['Ada@Example.com', null], 'email')).toEqual([expectedEmail(key, 'ada@example.com'), null]);
  });

  it('email gives the same pseudonym for the same address in any letter case', async () => {
    const [upper, lower] = await mask('text', ['ADA@EXAMPLE.COM', 'ada@example.com'], 'email');
    expect(upper).toBe(lower);
  });

  it('email uses the configured domain', async () => {
    expect(await mask('text', ['a@b.c'], { strategy: 'email', domain: 'staging.test' })).toEqual([
      expectedEmail(key, 'a@b.c', 'staging.test'),
    ]);
  });

  it('partial keeps the last N characters and masks the rest', async () => {
    expect(await mask('text', ['4111111111111111'], { strategy: 'partial', keep: 4 })).toEqual(['************1111']);
  });

  it('partial masks a value no longer than N entirely', async () => {
    expect(await mask('text', ['123'], { strategy: 'partial', keep: 4, mask: '#' })).toEqual(['###']);
  });

  it('noise moves a number by at most the ratio, the same way for the same value', async () => {
    const after = (await mask('numeric(12,2)', ['1000.00', '1000.00', '50.00'], { strategy: 'noise', ratio: 0.1 })).map(Number);
    expect(after[0]).toBe(after[1]);
    expect(Math.abs((after[0] ?? 0) - 1000)).toBeLessThanOrEqual(100);
    expect(Math.abs((after[2] ?? 0) - 50)).toBeLessThanOrEqual(5);
  });

  it('shift moves a date by 1 to N days, never 0, the same way for the same date', async () => {
    const after = (await mask('date', ['1990-05-17', '1990-05-17'], { strategy: 'shift', days: 3 })) as Date[];
    const original = new Date(1990, 4, 17).getTime();
    const days = (after[0]?.getTime() ?? NaN) - original;
    expect(after[0]?.getTime()).toBe(after[1]?.getTime());
    expect(Math.abs(days / 86_400_000)).toBeGreaterThanOrEqual(1);
    expect(Math.abs(days / 86_400_000)).toBeLessThanOrEqual(3);
  });

  it('shift keeps the time of day of a timestamp', async () => {
    const [after] = (await mask('timestamptz', ['2024-01-10T13:45:00Z'], { strategy: 'shift', days: 10 })) as Date[];
    expect(after?.toISOString().slice(10)).toBe('T13:45:00.000Z');
  });

  it('json masks the named paths and leaves everything else', async () => {
    const profile = { name: 'Ada', address: { street: '1 Main St', city: 'London' }, phones: ['+44 1', '+44 2'], tags: ['x'] };
    const [after] = await mask('jsonb', [JSON.stringify(profile)], {
      strategy: 'json',
      paths: { name: 'hash', 'address.street': { strategy: 'constant', value: 'REDACTED' }, 'phones.*': null, 'missing.path': 'hash' },
    });
    expect(after).toEqual({
      name: expectedHash(key, 'Ada'),
      address: { street: 'REDACTED', city: 'London' },
      phones: [null, null],
      tags: ['x'],
    });
  });

  it('json works on a json (not jsonb) column', async () => {
    const [after] = await mask('json', [JSON.stringify({ email: 'Ada@x.org' })], { strategy: 'json', paths: { email: 'email' } });
    expect(after).toEqual({ email: expectedEmail(key, 'ada@x.org') });
  });

  it('sql applies a custom expression with the column in place of {column}', async () => {
    expect(await mask('text', ['Ada'], { strategy: 'sql', expression: "'x' || upper({column})" })).toEqual(['xADA']);
  });

  it('sql can use the key as {key} without the key appearing in the rule', async () => {
    // The expression calls pgcrypto itself (a user's choice); refork's own masks need no extension.
    await fixture.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
    expect(await mask('text', ['Ada'], { strategy: 'sql', expression: "encode(hmac({column}, {key}, 'sha256'), 'hex')" })).toEqual([
      expectedHash(key, 'Ada'),
    ]);
  });
});

describe('plan-time checks', () => {
  it('refuses null on a NOT NULL column', async () => {
    expect(await planError('text', null, 'NOT NULL')).toMatch(/columns\.v: column is NOT NULL/);
  });

  it('refuses a strategy that cannot produce the column type', async () => {
    expect(await planError('date', 'hash')).toMatch(
      /anonymize\.tables\.t\d+\.columns\.v: strategy hash cannot produce a value of type date/,
    );
  });

  it('refuses email on a varchar too short for the pseudonym', async () => {
    expect(await planError('varchar(20)', 'email')).toMatch(/need 30 characters/);
  });

  it.each([
    ['constant', { strategy: 'constant', value: 'x' }],
    ['null', null],
    ['a short hash', { strategy: 'hash', length: 8 }],
    ['partial', { strategy: 'partial', keep: 2 }],
    ['sql', { strategy: 'sql', expression: 'lower({column})' }],
  ])('refuses %s on a column under a unique index', async (_what, strategy) => {
    expect(await planError('text', strategy, 'UNIQUE')).toMatch(/is under a unique index of public\.t\d+ and .*; use hash/);
  });

  it('accepts email and a full hash on a unique column', async () => {
    expect(await mask('text', ['a@x.org', 'b@x.org'], 'email', 'UNIQUE')).toHaveLength(2);
    expect(await mask('text', ['a', 'b'], 'hash', 'UNIQUE')).toHaveLength(2);
  });

  it('refuses a rule on a generated column', async () => {
    const table = `t${++tableCount}`;
    await fixture.query(`CREATE TABLE ${table} (a text, b text GENERATED ALWAYS AS (upper(a)) STORED)`);
    await expect(
      anonymizeDatabase({
        connect: fixture.connect,
        rules: parseRules({ tables: { [table]: { columns: { b: 'hash' } } } }, 'anonymize'),
        runId: newRunId(),
        key,
      }),
    ).rejects.toThrow(/columns\.b: "b" is a generated column/);
  });

  it('refuses a rule naming a column that does not exist', async () => {
    const table = `t${++tableCount}`;
    await fixture.query(`CREATE TABLE ${table} (a text)`);
    await expect(
      anonymizeDatabase({
        connect: fixture.connect,
        rules: parseRules({ tables: { [table]: { columns: { nope: 'hash' } } } }, 'anonymize'),
        runId: newRunId(),
        key,
      }),
    ).rejects.toThrow(/columns\.nope: column "nope" does not exist in public\.t\d+/);
  });

  it('writes nothing when any rule is refused', async () => {
    const table = `t${++tableCount}`;
    await fixture.query(`CREATE TABLE ${table} (a text, b date)`);
    await fixture.query(`INSERT INTO ${table} VALUES ('keep', '2020-01-01')`);
    await expect(
      anonymizeDatabase({
        connect: fixture.connect,
        rules: parseRules({ tables: { [table]: { columns: { a: 'hash', b: 'hash' } } } }, 'anonymize'),
        runId: newRunId(),
        key,
      }),
    ).rejects.toThrow(RulesError);
    expect(await fixture.query(`SELECT a FROM ${table}`)).toEqual([{ a: 'keep' }]);
  });
});

describe('fake', () => {
  const FULL_NAME = /^[A-Z][A-Za-z'-]+ [A-Z][A-Za-z' -]+$/;

  it.each([
    ['first_name', /^[A-Z][A-Za-z'-]+$/],
    ['last_name', /^[A-Z][A-Za-z' -]+$/],
    ['full_name', FULL_NAME],
    ['phone', /^\(555\) \d{3}-\d{4}$/],
    ['street', /^\d{1,4} .+$/],
    ['city', /^[A-Z].+$/],
    ['zip', /^\d{5}$/],
    ['company', /^[A-Z].+ (Group|Inc|LLC|and Sons)$/],
    ['username', /^[a-z'-]+\d{4}$/],
  ])('%s gives a realistic value of that kind', async (kind, shape) => {
    const [after] = await mask('text', ['Ada Lovelace'], { strategy: 'fake', kind });
    expect(after).toMatch(shape);
    expect(after).not.toContain('Lovelace');
  });

  it('gives the same fake for the same input and spreads different inputs', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => `person ${i % 20}`);
    const after = await mask('text', inputs, { strategy: 'fake', kind: 'full_name' });
    expect(after.slice(0, 20)).toEqual(after.slice(20));
    expect(new Set(after).size).toBeGreaterThan(15);
  });

  it('leaves null null and fits a varchar(n)', async () => {
    const after = await mask('varchar(6)', ['Ada', null], { strategy: 'fake', kind: 'full_name' });
    expect((after[0] as string).length).toBeLessThanOrEqual(6);
    expect(after[1]).toBeNull();
  });

  it('works inside json paths', async () => {
    const [after] = (await mask('jsonb', [JSON.stringify({ who: 'Ada' })], {
      strategy: 'json',
      paths: { who: { strategy: 'fake', kind: 'first_name' } },
    })) as {
      who: string;
    }[];
    expect(after?.who).toMatch(/^[A-Z][A-Za-z'-]+$/);
  });
});

describe('column references', () => {
  it('are never captured by a subquery column of the same name', async () => {
    await fixture.query(`CREATE TABLE capture (word text, position text, dictionary text, o jsonb)`);
    await fixture.query(`INSERT INTO capture VALUES ('Ada', 'x', 'y', '{"a": ["b"]}')`);
    await anonymizeDatabase({
      connect: fixture.connect,
      rules: parseRules(
        {
          tables: {
            capture: { columns: { word: { strategy: 'fake', kind: 'first_name' }, o: { strategy: 'json', paths: { 'a.*': 'hash' } } } },
          },
        },
        'anonymize',
      ),
      runId: newRunId(),
      key,
    });
    const [row] = await fixture.query<{ word: string; o: unknown }>('SELECT word, o FROM capture');
    expect(row?.word).toMatch(/^[A-Z][A-Za-z'-]+$/);
    expect(row?.o).toEqual({ a: [expectedHash(key, 'b')] });
  });
});

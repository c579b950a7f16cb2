import { afterEach, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules } from '../../src/anonymize/index.js';
import { DICTIONARIES } from '../../src/anonymize/dictionaries.js';
import { createFixture, expectedPick, newKey, newRunId, type Fixture } from './fixture.js';

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, name text);
  CREATE TABLE invoices (id int PRIMARY KEY, billing_email text, customer_name text);
  INSERT INTO users VALUES (1, 'ada@example.com', 'Ada Lovelace'), (2, 'alan@example.com', 'Alan Turing');
  INSERT INTO invoices VALUES (10, 'ADA@example.com', 'Ada Lovelace'), (11, 'alan@example.com', 'Alan Turing');
`;
const RULES = parseRules(
  {
    tables: {
      users: { columns: { email: 'email', name: 'hash' } },
      invoices: { columns: { billing_email: 'email', customer_name: 'hash' } },
    },
  },
  'anonymize',
);

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.drop()));
});

/** One "night": a fresh copy of production, masked with `key`. */
async function night(key: string) {
  const fixture = await createFixture(SCHEMA);
  fixtures.push(fixture);
  await anonymizeDatabase({ connect: fixture.connect, rules: RULES, runId: newRunId(), key });
  return {
    users: await fixture.query<{ email: string; name: string }>('SELECT email, name FROM users ORDER BY id'),
    invoices: await fixture.query<{ billing_email: string; customer_name: string }>(
      'SELECT billing_email, customer_name FROM invoices ORDER BY id',
    ),
  };
}

describe('determinism', () => {
  it('gives the same pseudonym to the same value in different tables', async () => {
    const { users, invoices } = await night(newKey());
    expect(invoices.map((row) => row.billing_email)).toEqual(users.map((row) => row.email));
    expect(invoices.map((row) => row.customer_name)).toEqual(users.map((row) => row.name));
  });

  it('gives the same pseudonyms every night with the same key', async () => {
    const key = newKey();
    expect(await night(key)).toEqual(await night(key));
  });

  it('gives different pseudonyms under a different key', async () => {
    const first = await night(newKey());
    const second = await night(newKey());
    expect(second.users.map((row) => row.email)).not.toEqual(first.users.map((row) => row.email));
    expect(second.users.map((row) => row.name)).not.toEqual(first.users.map((row) => row.name));
  });

  it('keeps distinct emails distinct', async () => {
    const { users } = await night(newKey());
    expect(new Set(users.map((row) => row.email)).size).toBe(2);
  });

  it("picks a fake from faker's list at the position the keyed hash gives, as it always has", async () => {
    const key = newKey();
    const fixture = await createFixture(`
      CREATE TABLE names (id int PRIMARY KEY, first text, last text, city text);
      INSERT INTO names VALUES (1, 'Ada', 'Lovelace', 'London'), (2, 'Zoë', 'Ñúñez', 'Málaga'), (3, NULL, NULL, NULL);
    `);
    fixtures.push(fixture);
    const rules = parseRules(
      {
        tables: {
          names: {
            columns: {
              first: { strategy: 'fake', kind: 'first_name' },
              last: { strategy: 'fake', kind: 'last_name' },
              city: { strategy: 'fake', kind: 'city' },
            },
          },
        },
      },
      'anonymize',
    );
    await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });
    // Word n of the list, n from 4 bytes of HMAC-SHA256(key, value) at the offset each kind reads.
    const at = (list: string[], value: string, offset: number) => expectedPick(key, list, value, offset);
    expect(await fixture.query('SELECT first, last, city FROM names ORDER BY id')).toEqual([
      {
        first: at(DICTIONARIES.first_name, 'Ada', 0),
        last: at(DICTIONARIES.last_name, 'Lovelace', 4),
        city: at(DICTIONARIES.city, 'London', 28),
      },
      {
        first: at(DICTIONARIES.first_name, 'Zoë', 0),
        last: at(DICTIONARIES.last_name, 'Ñúñez', 4),
        city: at(DICTIONARIES.city, 'Málaga', 28),
      },
      { first: null, last: null, city: null },
    ]);
  });
});

// The gates read each column as its type demands: numbers, uuids and dates are not free text,
// wherever their values show (samples, pg_stats, arrays); partitions are read through their
// table, with its rules and exemptions.
import { describe, expect, it } from 'vitest';
import { parseRules, planAnonymization } from '../../src/anonymize/index.js';
import { luhn } from '../../src/anonymize/detect.js';
import { fixturesPerTest, maskAndVerify, newKey } from './fixture.js';

const key = newKey();
const fixtureOf = fixturesPerTest();

describe('gates by column type', () => {
  it('pass on snowflake ids, uuids, id arrays, dates and amounts, sampled and in pg_stats', async () => {
    // 19-digit snowflake ids: one in ten passes the Luhn check, like a payment card number.
    const snowflakes = Array.from({ length: 400 }, (_, i) => 1790000000000000000n + BigInt(i) * 7_919_000_003n);
    expect(snowflakes.filter((id) => luhn(String(id))).length).toBeGreaterThan(20);
    const fixture = await fixtureOf(
      `
      CREATE TABLE posts (id bigint PRIMARY KEY, reply_ids bigint[], author uuid, tags uuid[], posted date, amount numeric, body text);
      INSERT INTO posts
      SELECT id, ARRAY[id + 1, id + 2], md5(id::text)::uuid, ARRAY[md5(id::text || 'a')::uuid], date '2024-01-01' + (n % 365)::int, id / 1000.0, 'hello'
        FROM unnest($1::bigint[]) WITH ORDINALITY AS s(id, n);
      ANALYZE posts;
    `.replace('$1::bigint[]', `'{${snowflakes.join(',')}}'::bigint[]`),
    );
    const report = await maskAndVerify(
      fixture,
      {
        tables: {
          posts: { columns: { id: 'safe', reply_ids: 'safe', author: 'safe', tags: 'safe', posted: 'safe', amount: 'safe', body: null } },
        },
      },
      key,
    );
    expect(report.problems).toEqual([]);
  });

  it('say how to fix personal data in the statistics of a column declared safe', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE contacts (id int PRIMARY KEY, email text);
      INSERT INTO contacts SELECT i, 'person' || (i % 5) || '@gmail.com' FROM generate_series(1, 500) i;
      ANALYZE contacts;
    `);
    const report = await maskAndVerify(fixture, { tables: { contacts: { columns: { id: 'safe', email: 'safe' } } } }, key);
    expect(report.problems).toContain(
      'statistics of public.contacts.email hold what look like email addresses, and the column is not masked: mask it, or declare it { strategy: safe, scan: false } if its values are public',
    );
  });
});

const PARTITIONED = `
  CREATE TABLE readings (id int, at date NOT NULL, station text, note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE readings_2023 PARTITION OF readings FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  INSERT INTO readings SELECT i, date '2023-01-01' + (i % 1095), 'desk' || (i % 3) || '@weather-service.org', 'ok' FROM generate_series(1, 3000) i;
  ANALYZE readings;
`;

describe('partitions', () => {
  it('inherit their table exemption: { strategy: safe, scan: false } reaches every partition and its statistics', async () => {
    const fixture = await fixtureOf(PARTITIONED);
    const report = await maskAndVerify(
      fixture,
      {
        tables: { readings: { columns: { id: 'safe', at: 'safe', station: { strategy: 'safe', scan: false }, note: null } } },
      },
      key,
    );
    expect(report.problems).toEqual([]);
  });

  it('are sampled across the whole table, not only the first partition', async () => {
    const fixture = await fixtureOf(`${PARTITIONED}
      UPDATE readings SET note = 'call +44 20 7946 ' || lpad((id % 10000)::text, 4, '0') WHERE at >= '2025-01-01';
    `);
    const report = await maskAndVerify(
      fixture,
      {
        tables: { readings: { columns: { id: 'safe', at: 'safe', station: { strategy: 'safe', scan: false }, note: 'safe' } } },
      },
      key,
    );
    expect(report.problems.some((problem) => problem.startsWith('public.readings."note": '))).toBe(true);
  });

  it('a rule naming a partition is refused with the table to write it for', async () => {
    const fixture = await fixtureOf(PARTITIONED);
    const rules = parseRules(
      {
        tables: {
          readings: { columns: { id: 'safe', at: 'safe', station: 'safe', note: null } },
          readings_2024: { columns: { station: { strategy: 'safe', scan: false } } },
        },
      },
      'anonymize',
    );
    const report = await planAnonymization({ connect: fixture.connect, rules });
    expect(report.problems).toEqual([
      'anonymize.tables.readings_2024: public.readings_2024 is a partition of public.readings, masked and checked through its rule: move this rule into public.readings',
    ]);
  });
});

// After masking, no statistics of a masked column may still show an original value: pg_stats
// (most common values, histogram bounds) of the column, of what is computed from it (a stored
// generated column, an expression index) and of every partition, and extended statistics
// (pg_statistic_ext_data: an object over masked and unmasked columns, over an expression). The
// engine analyzes only what it wrote where a column list reaches all of it (docs/anonymization.md#refreshing-the-statistics).
import { describe, expect, it } from 'vitest';
import { fixturesPerTest, maskAndVerify, newKey, type Fixture } from './fixture.js';

const fresh = fixturesPerTest();

/** Every statistic PostgreSQL keeps of the three tables, their partitions and indexes, as text. */
const STATISTICS = `
  SELECT 'pg_stats ' || tablename || '.' || attname || CASE WHEN inherited THEN ' (inherited)' ELSE '' END AS what,
         concat_ws(' ', most_common_vals::text, histogram_bounds::text) AS values
    FROM pg_stats WHERE schemaname = 'public'
  UNION ALL
  SELECT 'extended ' || statistics_name || CASE WHEN inherited THEN ' (inherited)' ELSE '' END, COALESCE(most_common_vals::text, '')
    FROM pg_stats_ext WHERE schemaname = 'public'
  UNION ALL
  SELECT 'extended ' || statistics_name || ' ' || expr || CASE WHEN inherited THEN ' (inherited)' ELSE '' END,
         concat_ws(' ', most_common_vals::text, histogram_bounds::text)
    FROM pg_stats_ext_exprs WHERE schemaname = 'public'`;

/** Original values: every email's domain and every city's prefix appears in no masked value. */
const ORIGINAL = /mail\.example\.com|qxcity /i;

function schema(rows: number): string {
  return `
    -- members: a column list reaches everything masking writes (an index over a plain column only).
    CREATE TABLE members (
      id int PRIMARY KEY, email text NOT NULL, city text, plan text, joined date,
      email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED);
    CREATE INDEX members_city ON members (city);
    CREATE STATISTICS members_email_plan (mcv) ON email, plan FROM members;
    CREATE STATISTICS members_city_joined (mcv) ON lower(city), joined FROM members;
    INSERT INTO members (id, email, city, plan, joined)
      SELECT i, 'member' || (i % 40) || '@mail.example.com', 'Qxcity ' || (i % 30), (ARRAY['free', 'pro'])[1 + i % 2], date '2020-01-01' + i % 50
        FROM generate_series(1, ${rows}) i;
    -- contacts: an expression index over a masked column keeps statistics of its own.
    CREATE TABLE contacts (id int PRIMARY KEY, email text, kind text);
    CREATE INDEX contacts_email ON contacts (lower(email));
    INSERT INTO contacts SELECT i, 'contact' || (i % 25) || '@mail.example.com', 'k' || (i % 3) FROM generate_series(1, 500) i;
    -- visits: partitions, each with statistics, and extended statistics over the partitioned table and over a partition.
    CREATE TABLE visits (id int, email text, kind text) PARTITION BY RANGE (id);
    CREATE TABLE visits_a PARTITION OF visits FOR VALUES FROM (0) TO (300);
    CREATE TABLE visits_b PARTITION OF visits FOR VALUES FROM (300) TO (1000);
    CREATE STATISTICS visits_email_kind (mcv) ON email, kind FROM visits;
    CREATE STATISTICS visits_b_email_kind (mcv) ON email, kind FROM visits_b;
    INSERT INTO visits SELECT i, 'visitor' || (i % 20) || '@mail.example.com', 'k' || (i % 4) FROM generate_series(0, 999) i;
    ANALYZE;`;
}

const RULES = {
  tables: {
    members: {
      columns: {
        id: 'safe',
        email: 'email',
        city: { strategy: 'fake', kind: 'city' },
        plan: 'safe',
        joined: 'safe',
        email_domain: 'safe',
      },
    },
    contacts: { columns: { id: 'safe', email: 'email', kind: 'safe' } },
    visits: { columns: { id: 'safe', email: 'email', kind: 'safe' } },
  },
};

async function statistics(fixture: Fixture): Promise<Map<string, string>> {
  const rows = await fixture.query<{ what: string; values: string }>(STATISTICS);
  return new Map(rows.map((row) => [row.what, row.values]));
}

describe('statistics after masking', () => {
  // 2,000 rows: masked by an UPDATE in place; 55,000: rewritten through a stage, its indexes rebuilt.
  it.each([2_000, 55_000])('show no original value of a masked column, anywhere (%i members)', async (rows) => {
    const fixture = await fresh(schema(rows));
    const before = await statistics(fixture);
    // What must be replaced is there to begin with: the test can fail.
    for (const what of [
      'pg_stats members.email',
      'pg_stats members.city',
      'pg_stats members.email_domain',
      'pg_stats contacts_email.lower',
      'pg_stats visits.email (inherited)',
      'pg_stats visits_b.email',
      'extended members_email_plan',
      'extended members_city_joined',
      'extended members_city_joined lower(city)',
      'extended visits_email_kind (inherited)',
      'extended visits_b_email_kind',
    ]) {
      expect(before.get(what), what).toMatch(ORIGINAL);
    }

    const report = await maskAndVerify(fixture, RULES, newKey());
    expect(report.problems).toEqual([]);

    const after = await statistics(fixture);
    const stale = [...after].filter(([, values]) => ORIGINAL.test(values)).map(([what]) => what);
    expect(stale).toEqual([]);
    // Replaced, not dropped: every statistic there before still holds values (masked ones, as none is original).
    for (const [what, values] of before) {
      if (values !== '') expect(after.get(what), what).toMatch(/\w/);
    }
    // The columns no rule touched keep statistics that describe them.
    expect(after.get('pg_stats members.plan')).toMatch(/free/);
    expect(after.get('extended members_email_plan')).toMatch(/pro/);
  });
});

// Samples of big tables are drawn by page over the whole table: one row from each of many pages
// spread from the first to the last, every partition included, never the first rows read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRows } from '../../src/anonymize/sample.js';
import { createFixture, type Fixture } from './fixture.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE TABLE wide (id int PRIMARY KEY, pad text);
    INSERT INTO wide SELECT i, repeat('x', 300) FROM generate_series(1, 60000) i;
    CREATE TABLE parts (id int, at int, pad text) PARTITION BY RANGE (at);
    CREATE TABLE parts_a PARTITION OF parts FOR VALUES FROM (0) TO (1);
    CREATE TABLE parts_b PARTITION OF parts FOR VALUES FROM (1) TO (2);
    INSERT INTO parts SELECT i, i % 2, repeat('x', 300) FROM generate_series(1, 60000) i;
    ANALYZE;
  `);
});
afterAll(async () => {
  await fixture.drop();
});

async function sampledBlocks(table: string) {
  const client = await fixture.connect();
  try {
    const rows = await sampleRows<[string, string]>(
      client,
      { name: { schema: 'public', table }, estimatedRows: 60000 },
      ['r.tableoid::regclass::text', '(r.ctid::text::point)[0]::int::text'],
      [],
      500,
    );
    const pages = await client.query<{ pages: number }>(`SELECT pg_relation_size('wide') / 8192 AS pages`);
    return { rows: rows.map(([relation, block]) => ({ relation, block: Number(block) })), pages: Number(pages.rows[0]?.pages) };
  } finally {
    await client.end();
  }
}

describe('sampleRows', () => {
  it('takes one row per page, from pages spread over the whole of a big table', async () => {
    const { rows, pages } = await sampledBlocks('wide');
    expect(pages).toBeGreaterThan(1000);
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((row) => row.block)).size).toBe(500);
    expect(Math.min(...rows.map((row) => row.block))).toBeLessThan(pages * 0.1);
    expect(Math.max(...rows.map((row) => row.block))).toBeGreaterThan(pages * 0.9);
  });

  it('samples every partition of a partitioned table', async () => {
    const { rows } = await sampledBlocks('parts');
    expect(rows).toHaveLength(500);
    const relations = new Set(rows.map((row) => row.relation));
    expect(relations).toEqual(new Set(['parts_a', 'parts_b']));
    expect(new Set(rows.map((row) => `${row.relation}:${row.block}`)).size).toBe(500);
  });
});

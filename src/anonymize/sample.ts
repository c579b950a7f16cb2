// Bounded samples of a table's rows, for the gates and the scanner, whatever the table's size.
// A small table is read whole and its rows shuffled. A big one is sampled by page
// (TABLESAMPLE SYSTEM over about 1.5 × limit pages) keeping one random row per page, then
// shuffled: the rows come from pages spread uniformly over the whole table (every partition
// included), so a defect confined to one region of it (a partition, a week of inserts) is hit
// as often as its share of the pages, never missed for sitting past the first pages read.
import type pg from 'pg';
import { quoteIdent, quoteTable, type TableName } from './quote.js';

export const SAMPLE_ROWS = 200;
const MAX_VALUE_CHARS = 4000;
/** Up to this many times the wanted rows, a table is read whole. */
const READ_WHOLE_FACTOR = 20;
const PAGE_BYTES = 8192;
/** Rows per page assumed when the statistics know nothing of a table (it was never analyzed). */
const ROWS_PER_PAGE_GUESS = 40;

export interface Sample {
  columns: string[];
  rows: Array<Array<string | null>>;
}

/** How big a table is, as the catalog knows it. */
export interface SampledTable {
  name: TableName;
  estimatedRows: number;
  heapBytes: number;
}

/**
 * Up to `limit` rows of the select list (expressions over the alias `r`), spread over the table.
 * `values` are the select list's bind parameters.
 */
export async function sampleRows<R extends unknown[]>(
  client: pg.Client,
  table: SampledTable,
  select: string[],
  values: unknown[],
  limit: number,
): Promise<R[]> {
  if (select.length === 0) return [];
  const pages = Math.max(1, Math.ceil(table.heapBytes / PAGE_BYTES));
  const rows = Math.max(table.estimatedRows, pages * ROWS_PER_PAGE_GUESS);
  const relation = `${quoteTable(table.name)} AS r`;
  const list = select.map((expression, index) => `${expression} AS c${index}`).join(', ');
  const text =
    rows <= limit * READ_WHOLE_FACTOR || pages <= limit
      ? `SELECT ${list} FROM ${relation} ORDER BY pg_catalog.random() LIMIT ${limit}`
      : `SELECT * FROM (SELECT DISTINCT ON (r.tableoid, (r.ctid::text::point)[0]) ${list}
                          FROM ${relation} TABLESAMPLE SYSTEM (${Math.min(100, (150 * limit) / pages).toFixed(6)})
                         ORDER BY r.tableoid, (r.ctid::text::point)[0], pg_catalog.random()) s
          ORDER BY pg_catalog.random() LIMIT ${limit}`;
  const result = await client.query<R>({ text, values, rowMode: 'array' });
  return result.rows;
}

/** A column's value as text for the detectors, cut short. */
export function sampledText(column: string): string {
  return `pg_catalog.left(r.${quoteIdent(column)}::text, ${MAX_VALUE_CHARS})`;
}

/** Up to `limit` rows of `columns` (as text), spread over the table. */
export async function sampleColumns(
  client: pg.Client,
  table: TableName,
  estimatedRows: number,
  columns: string[],
  limit = SAMPLE_ROWS,
  heapBytes = 0,
): Promise<Sample> {
  const rows = await sampleRows<Array<string | null>>(
    client,
    { name: table, estimatedRows, heapBytes },
    columns.map(sampledText),
    [],
    limit,
  );
  return { columns, rows };
}

/** Columns whose text can hold free-form personal data: strings, json, and arrays of either. */
export const TEXTUAL_SQL = `(b.typcategory = 'S' OR b.typname IN ('json', 'jsonb')
  OR (b.typcategory = 'A' AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = b.typelem AND (e.typcategory = 'S' OR e.typname IN ('json', 'jsonb')))))`;

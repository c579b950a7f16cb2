// Bounded samples of column values as text, for the gates and the scanner: a few hundred rows per
// table whatever its size (TABLESAMPLE reads a fraction of the pages), each value cut short.
import type pg from 'pg';
import { quoteIdent, quoteTable, type TableName } from './quote.js';

export const SAMPLE_ROWS = 200;
const MAX_VALUE_CHARS = 4000;

export interface Sample {
  columns: string[];
  rows: Array<Array<string | null>>;
}

/** Up to `limit` rows of `columns` (as text), spread over the table when it is large. */
export async function sampleColumns(
  client: pg.Client,
  table: TableName,
  estimatedRows: number,
  columns: string[],
  limit = SAMPLE_ROWS,
): Promise<Sample> {
  if (columns.length === 0) return { columns, rows: [] };
  const list = columns.map((column) => `pg_catalog.left(${quoteIdent(column)}::text, ${MAX_VALUE_CHARS})`).join(', ');
  // Past a few pages' worth of rows, sample pages instead of reading the table from the start.
  const percent = estimatedRows > limit * 20 ? Math.min(100, (limit * 20 * 100) / estimatedRows) : undefined;
  const from = percent === undefined ? quoteTable(table) : `${quoteTable(table)} TABLESAMPLE SYSTEM (${percent.toFixed(6)})`;
  const result = await client.query<Array<string | null>>({ text: `SELECT ${list} FROM ${from} LIMIT ${limit}`, rowMode: 'array' });
  return { columns, rows: result.rows };
}

/** Columns whose text can hold free-form personal data: strings, json, and arrays of either. */
export const TEXTUAL_SQL = `(b.typcategory = 'S' OR b.typname IN ('json', 'jsonb')
  OR (b.typcategory = 'A' AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = b.typelem AND (e.typcategory = 'S' OR e.typname IN ('json', 'jsonb')))))`;

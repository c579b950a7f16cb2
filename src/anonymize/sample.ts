// Bounded samples of a table's rows, for the gates and the scanner, whatever the table's size.
// A small table is read whole and its rows shuffled. A big one is sampled by page: about 1.5 ×
// limit pages drawn at random over the whole table (every partition, in proportion to its size),
// each read alone by a TID range scan, one random row kept from each, then shuffled. So the rows
// come from pages spread uniformly over the table, a defect confined to one region of it (a
// partition, a week of inserts) is hit as often as its share of the pages, and the cost is a
// thousand page reads, not a scan. The rows are chosen by address first and read back by it,
// so the select list is computed for the chosen rows only.
import type pg from 'pg';
import { quoteIdent, quoteTable, type TableName } from './quote.js';

export const SAMPLE_ROWS = 200;
const MAX_VALUE_CHARS = 4000;
/** Up to this many times the wanted rows, a table is read whole. */
const READ_WHOLE_FACTOR = 20;
/** Rows per page assumed when the statistics know nothing of a table (it was never analyzed). */
const ROWS_PER_PAGE_GUESS = 40;
/** Pages drawn per wanted row: some are empty, some drawn twice. */
const DRAWS_PER_ROW = 1.5;

export interface Sample {
  columns: string[];
  rows: Array<Array<string | null>>;
}

/** A table as the catalog knows it. */
export interface SampledTable {
  name: TableName;
  estimatedRows: number;
}

/** Rows chosen by address: `tableoid:ctid`, and the ctid alone for a TID scan. */
/**
 * What a table's rows are read from: a partitioned table through its partitions (they share its
 * rules), any other table ONLY, since the children of an inheritance parent (LedgerSMB's
 * entity_note under note) are tables of their own, with their own rules, read on their own.
 */
async function rowSource(client: pg.Client, table: SampledTable): Promise<string> {
  const kind = await client.query<{ relkind: string }>(`SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass`, [
    quoteTable(table.name),
  ]);
  return `${kind.rows[0]?.relkind === 'p' ? '' : 'ONLY '}${quoteTable(table.name)}`;
}

async function chooseRows(
  client: pg.Client,
  table: SampledTable,
  source: string,
  limit: number,
): Promise<Array<{ address: string; ctid: string }>> {
  // The table's leaves (itself, or every partition) and their sizes now: masking may have rewritten them.
  const leaves = await client.query<{ name: string; pages: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
            (pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int8)::text AS pages
       FROM (SELECT t.relid FROM pg_catalog.pg_partition_tree($1::regclass) t WHERE t.isleaf
             -- a table that is not partitioned has no partition tree: it is its own leaf
             UNION ALL SELECT $1::regclass WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree($1::regclass))) t
       JOIN pg_catalog.pg_class c ON c.oid = t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 1`,
    [quoteTable(table.name)],
  );
  const counts = leaves.rows.map((row) => Number(row.pages));
  const total = counts.reduce((sum, count) => sum + count, 0);
  const rows = Math.max(table.estimatedRows, total * ROWS_PER_PAGE_GUESS);
  const address = (alias: string) => `${alias}.tableoid::text || ':' || ${alias}.ctid::text AS address, ${alias}.ctid::text AS ctid`;
  if (rows <= limit * READ_WHOLE_FACTOR || total <= limit) {
    const all = await client.query<{ address: string; ctid: string }>(
      `SELECT ${address('r')} FROM ${source} AS r ORDER BY pg_catalog.random() LIMIT ${limit}`,
    );
    return all.rows;
  }
  const branches = leaves.rows.flatMap((leaf, index) => {
    const leafPages = counts[index] ?? 0;
    if (leafPages === 0) return [];
    const draws = Math.ceil((DRAWS_PER_ROW * limit * leafPages) / total);
    return [
      `SELECT ${address('x')} FROM (SELECT DISTINCT pg_catalog.floor(pg_catalog.random() * ${leafPages})::int8 AS block FROM pg_catalog.generate_series(1, ${draws})) b,
         LATERAL (SELECT r.tableoid, r.ctid FROM ONLY ${leaf.name} AS r
                   WHERE r.ctid >= pg_catalog.format('(%s,0)', b.block)::tid AND r.ctid < pg_catalog.format('(%s,0)', b.block + 1)::tid
                   ORDER BY pg_catalog.random() LIMIT 1) x`,
    ];
  });
  const chosen = await client.query<{ address: string; ctid: string }>(
    `SELECT * FROM (${branches.join(' UNION ALL ')}) s ORDER BY pg_catalog.random() LIMIT ${limit}`,
  );
  return chosen.rows;
}

/**
 * Up to `limit` rows of the select list (expressions over the alias `r`), spread over the table.
 * `values` are the select list's bind parameters. Call inside a REPEATABLE READ transaction for
 * the chosen addresses to hold until they are read back (outside one, a row updated meanwhile is
 * merely left out).
 */
export async function sampleRows<R extends unknown[]>(
  client: pg.Client,
  table: SampledTable,
  select: string[],
  values: unknown[],
  limit: number,
): Promise<R[]> {
  if (select.length === 0) return [];
  const source = await rowSource(client, table);
  const chosen = await chooseRows(client, table, source, limit);
  if (chosen.length === 0) return [];
  const list = select.map((expression, index) => `${expression} AS c${index}`).join(', ');
  const ctids = `$${values.length + 1}::tid[]`;
  const addresses = `$${values.length + 2}::text[]`;
  // ctid = ANY is a TID scan; the address (with tableoid) tells partitions' equal ctids apart.
  const result = await client.query<R>({
    text: `SELECT ${list} FROM ${source} AS r
            WHERE r.ctid = ANY (${ctids}) AND r.tableoid::text || ':' || r.ctid::text = ANY (${addresses})`,
    values: [...values, chosen.map((row) => row.ctid), chosen.map((row) => row.address)],
    rowMode: 'array',
  });
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
): Promise<Sample> {
  const rows = await sampleRows<Array<string | null>>(client, { name: table, estimatedRows }, columns.map(sampledText), [], limit);
  return { columns, rows };
}

/** Columns whose text can hold free-form personal data: strings, json, and arrays of either. */
export const TEXTUAL_SQL = `(b.typcategory = 'S' OR b.typname IN ('json', 'jsonb')
  OR (b.typcategory = 'A' AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = b.typelem AND (e.typcategory = 'S' OR e.typname IN ('json', 'jsonb')))))`;

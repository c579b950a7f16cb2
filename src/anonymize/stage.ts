// Computing masks is CPU-bound in Postgres and one statement uses one core, so a big table
// that will be rewritten has its masked rows computed by several sessions at once, each over a
// slice of the primary key, into an UNLOGGED table in schema refork. The stage holds only masked
// values; the swap itself still happens in the table's single transaction. Keyed masks of
// low-cardinality columns (names, cities, dates) are computed once per distinct value rather than
// once per row.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import type { MaskedColumn, TableStep } from './plan.js';
import { ROW_ALIAS } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { prepareSession } from './session.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

const INTEGER_KEYS = new Set(['int2', 'int4', 'int8']);
/** Below this, one session is as quick as several. */
const PARALLEL_MIN_ROWS = 50_000;

/** The stage's quoted name: deterministic per table, so a crashed run's leftover is found and replaced. */
export function stageName(display: string): string {
  return `refork.${quoteIdent(`stage_${createHash('sha256').update(display).digest('hex').slice(0, 16)}`)}`;
}

/** The SELECT list that yields the table's rows with masks applied (generated columns left out). */
export function maskedSelect(step: UpdateStep, table: TableInfo, replace = new Map<string, string>()): { select: string; columns: string } {
  const masked = new Map(step.columns.map((column) => [column.column, replace.get(column.column) ?? column.expression]));
  const columns = table.columns.filter((column) => !column.generated);
  return {
    select: columns
      .map((column) => `${masked.get(column.name) ?? `${ROW_ALIAS}.${quoteIdent(column.name)}`} AS ${quoteIdent(column.name)}`)
      .join(', '),
    columns: columns.map((column) => quoteIdent(column.name)).join(', '),
  };
}

/** Strategies that are a function of the column's value alone and cost a keyed hash per value. */
const PER_VALUE = new Set<string>(['hash', 'email', 'fake', 'noise', 'shift']);
/** A column is masked once per distinct value when it has at most this share of distinct values. */
const MEMOIZE_MAX_DISTINCT_SHARE = 0.5;
/** Below this, one mask per row costs less than a cache lookup per row. */
const MEMOIZE_MIN_ROWS = 20_000;

/**
 * The masked columns worth computing once per distinct value: low-cardinality columns (names,
 * cities, dates) under a keyed strategy. The statistics decide; without them, none.
 */
export function memoizedColumns(step: UpdateStep, table: TableInfo): MaskedColumn[] {
  if (table.estimatedRows < MEMOIZE_MIN_ROWS) return [];
  return step.columns.filter((masked) => {
    const column = table.columns.find((candidate) => candidate.name === masked.column);
    return (
      column?.estimatedDistinct !== undefined &&
      PER_VALUE.has(masked.strategy.kind) &&
      column.estimatedDistinct <= table.estimatedRows * MEMOIZE_MAX_DISTINCT_SHARE
    );
  });
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The SELECT of the masked rows of `table` (those matching `filter`, a condition over the row
 * alias whose placeholders start at the number given). Two things make it cheaper than the
 * UPDATE's per-row expressions, with the very same results:
 *  - each low-cardinality column's mask sits in a lateral subquery over that column alone, which
 *    the planner runs under a Memoize node: computed once per distinct value (compared by binary
 *    image, so exact for every type), then looked up;
 *  - a keyed digest that a mask reads more than once (a fake phone's two parts) is computed once
 *    per row, in a lateral subquery (OFFSET 0 keeps the planner from folding it back in).
 */
export function maskingSelect(
  step: UpdateStep,
  table: TableInfo,
  filter?: { sql: (first: number) => string; values: unknown[] },
): Statement {
  const relation = quoteTable(table.name);
  const replace = new Map<string, string>();
  const laterals: string[] = [];
  memoizedColumns(step, table).forEach((masked, index) => {
    laterals.push(`LEFT JOIN LATERAL (SELECT ${masked.expression} AS m OFFSET 0) AS refork_memo_${index} ON true`);
    replace.set(masked.column, `refork_memo_${index}.m`);
  });
  const digests: string[] = [];
  for (const masked of step.columns) {
    if (replace.has(masked.column) || !PER_VALUE.has(masked.strategy.kind)) continue;
    let expression = masked.expression;
    for (const digest of masked.digests) {
      if (expression.split(digest).length <= 2) continue;
      let index = digests.indexOf(digest);
      if (index < 0) index = digests.push(digest) - 1;
      expression = expression.split(digest).join(`refork_digest.d${index}`);
    }
    if (expression !== masked.expression) replace.set(masked.column, expression);
  }
  if (digests.length > 0)
    laterals.push(
      `CROSS JOIN LATERAL (SELECT ${digests.map((digest, index) => `${digest} AS d${index}`).join(', ')} OFFSET 0) AS refork_digest`,
    );
  const { select } = maskedSelect(step, table, replace);
  const where = filter ? ` WHERE ${filter.sql(step.params.length + 1)}` : '';
  return {
    text: `SELECT ${select} FROM ONLY ${relation} AS ${ROW_ALIAS} ${laterals.join(' ')}${where}`,
    values: [...step.params, ...(filter?.values ?? [])],
  };
}

/** The single integer primary key column to slice on, if the table has one. */
export function sliceKey(table: TableInfo): string | undefined {
  const keys = table.columns.filter((column) => column.primaryKey);
  const [key] = keys;
  return keys.length === 1 && key && INTEGER_KEYS.has(key.baseType) ? key.name : undefined;
}

export function canStageInParallel(table: TableInfo, sessions: number): boolean {
  return sessions > 1 && table.estimatedRows >= PARALLEL_MIN_ROWS && !table.partitioned && sliceKey(table) !== undefined;
}

export async function dropLeftoverStages(client: pg.Client): Promise<void> {
  const leftovers = await client.query<{ name: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'refork' AND c.relname LIKE 'stage\\_%' AND c.relkind = 'r'`,
  );
  for (const row of leftovers.rows) await client.query(`DROP TABLE IF EXISTS ${row.name}`);
}

/**
 * Fills the stage for `step` from `sessions` connections, one primary-key slice each; returns the
 * stage's name. The caller swaps it in (and drops it) inside the table's transaction.
 */
export async function stageInParallel(
  client: pg.Client,
  connect: () => Promise<pg.Client>,
  step: UpdateStep,
  table: TableInfo,
  sessions: number,
): Promise<{ name: string; rows: number }> {
  const key = sliceKey(table);
  if (key === undefined) throw new Error(`${step.display} has no single integer primary key to slice on`);
  const stage = stageName(step.display);
  const relation = quoteTable(table.name);
  const { select } = maskedSelect(step, table);
  const keyRef = `${ROW_ALIAS}.${quoteIdent(key)}`;
  await client.query(`DROP TABLE IF EXISTS ${stage}`);
  await client.query(`CREATE UNLOGGED TABLE ${stage} AS SELECT ${select} FROM ONLY ${relation} AS ${ROW_ALIAS} WITH NO DATA`, step.params);
  const bounds = await client.query<{ low: string | null; high: string | null }>(
    `SELECT min(${quoteIdent(key)})::text AS low, max(${quoteIdent(key)})::text AS high FROM ONLY ${relation}`,
  );
  const low = BigInt(bounds.rows[0]?.low ?? '0');
  const high = BigInt(bounds.rows[0]?.high ?? '-1');
  if (high < low) return { name: stage, rows: 0 };
  const width = (high - low) / BigInt(sessions) + 1n;
  const counts = await Promise.all(
    Array.from({ length: sessions }, async (_, index) => {
      // Slices of the key's own type (no cast per row); the first and last are open-ended.
      const at = (slice: number) => (low + width * BigInt(slice) > high ? high : low + width * BigInt(slice));
      const bounds = [...(index > 0 ? [at(index)] : []), ...(index < sessions - 1 ? [at(index + 1)] : [])];
      const sql = (first: number) =>
        [
          ...(index > 0 ? [`${keyRef} >= $${first}::int8`] : []),
          ...(index < sessions - 1 ? [`${keyRef} < $${first + (index > 0 ? 1 : 0)}::int8`] : []),
        ].join(' AND ') || 'true';
      const session = await connect();
      try {
        await prepareSession(session);
        // Room for the Memoize caches of low-cardinality masks (a session setting, ended with the session).
        await session.query(`SET work_mem = '32MB'`);
        const select = maskingSelect(step, table, { sql, values: bounds.map(String) });
        const inserted = await session.query(`INSERT INTO ${stage} ${select.text}`, select.values);
        return inserted.rowCount ?? 0;
      } finally {
        await session.end().catch(() => {});
      }
    }),
  );
  return { name: stage, rows: counts.reduce((sum, count) => sum + count, 0) };
}

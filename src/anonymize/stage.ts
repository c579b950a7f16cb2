// Computing masks is CPU-bound in Postgres and one statement uses one core, so a big table
// that will be rewritten has its masked rows computed by several sessions at once, each over a
// range of the table's pages, into an UNLOGGED table in schema refork. The stage holds only masked
// values; the swap itself still happens in the table's single transaction. Keyed masks of
// low-cardinality columns (names, cities, dates) are computed once per distinct value rather than
// once per row.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import { bytesInt32, DIGEST_BYTES, hexDigest, hmacInt32 } from './digest.js';
import type { MaskedColumn, TableStep } from './plan.js';
import { ROW_ALIAS } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { prepareSession } from './session.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

/** Below this, one session is as quick as several. */
const PARALLEL_MIN_ROWS = 50_000;

/** The stage's quoted name: per table and per attempt (a crashed attempt's leftover is dropped by the next run's start). */
export function stageName(display: string): string {
  return `refork.${quoteIdent(`stage_${createHash('sha256').update(display).digest('hex').slice(0, 16)}_${randomBytes(4).toString('hex')}`)}`;
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
 *    per row, in a lateral subquery (OFFSET 0 keeps the planner from folding it back in), and its
 *    numbers are read from its bytes rather than parsed from hex.
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
    for (const raw of masked.digests) {
      const hex = hexDigest(raw);
      if (expression.split(hex).length <= 2) continue;
      let index = digests.indexOf(raw);
      if (index < 0) index = digests.push(raw) - 1;
      expression = shareDigest(expression, hex, `refork_digest.d${index}`);
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

/**
 * `expression` with the hex digest `hex` read from `shared`, the raw digest computed once per row:
 * numbers from its bytes (digest.ts), the rest from its hex. The same values, exactly.
 */
function shareDigest(expression: string, hex: string, shared: string): string {
  let out = expression;
  for (let offset = 0; offset + 4 <= DIGEST_BYTES; offset++) out = out.split(hmacInt32(hex, offset)).join(bytesInt32(shared, offset));
  return out.split(hex).join(hexDigest(shared));
}

export function canStageInParallel(table: TableInfo, sessions: number): boolean {
  return sessions > 1 && table.estimatedRows >= PARALLEL_MIN_ROWS && !table.partitioned;
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
 * Creates the (empty) stage for `step`, committed, so the sessions that fill it can see it. Call
 * before the table's transaction; fill it inside, after the table is locked.
 */
export async function createStage(client: pg.Client, step: UpdateStep, table: TableInfo): Promise<string> {
  const stage = stageName(step.display);
  const { select } = maskedSelect(step, table);
  await client.query(
    `CREATE UNLOGGED TABLE ${stage} AS SELECT ${select} FROM ONLY ${quoteTable(table.name)} AS ${ROW_ALIAS} WITH NO DATA`,
    step.params,
  );
  return stage;
}

/**
 * Fills the stage from `sessions` connections, each reading its own range of the table's pages
 * (a TID range scan: every row read once, sequentially, whatever the primary key); returns the
 * number of rows. Call inside the table's transaction with the table locked against writes: the
 * ranges then cover every row the table holds (the sessions only read it, which the lock allows).
 */
export async function fillStage(
  client: pg.Client,
  connect: () => Promise<pg.Client>,
  stage: string,
  step: UpdateStep,
  table: TableInfo,
  sessions: number,
): Promise<number> {
  const size = await client.query<{ pages: string }>(
    `SELECT (pg_catalog.pg_relation_size($1::regclass) / pg_catalog.current_setting('block_size')::int8)::text AS pages`,
    [quoteTable(table.name)],
  );
  const pages = BigInt(size.rows[0]?.pages ?? '0');
  // Every session settles before this returns or throws: one that failed must not leave the
  // others writing into the fork after the table's attempt is over (and its retry has begun).
  const settled = await Promise.allSettled(
    Array.from({ length: sessions }, async (_, index) => {
      // Pages [from, to) of each slice; the last is open-ended.
      const from = (pages * BigInt(index)) / BigInt(sessions);
      const to = (pages * BigInt(index + 1)) / BigInt(sessions);
      const last = index === sessions - 1;
      const bounds = [`(${from},0)`, ...(last ? [] : [`(${to},0)`])];
      const sql = (first: number) => `${ROW_ALIAS}.ctid >= $${first}::tid${last ? '' : ` AND ${ROW_ALIAS}.ctid < $${first + 1}::tid`}`;
      const session = await connect();
      try {
        await prepareSession(session);
        // Room for the Memoize caches of low-cardinality masks (a session setting, ended with the session).
        await session.query(`SET work_mem = '32MB'`);
        const select = maskingSelect(step, table, { sql, values: bounds });
        const inserted = await session.query(`INSERT INTO ${stage} ${select.text}`, select.values);
        return inserted.rowCount ?? 0;
      } finally {
        await session.end().catch(() => {});
      }
    }),
  );
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.reduce((sum, outcome) => sum + (outcome.status === 'fulfilled' ? outcome.value : 0), 0);
}

// Computing masks is CPU-bound in Postgres and one statement uses one core, so a big table
// that will be rewritten has its masked rows computed by several sessions at once, each over a
// slice of the primary key, into an UNLOGGED table in schema refork. The stage holds only masked
// values; the swap itself still happens in the table's single transaction.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import { loadDictionaries, type DictionaryName } from './fake.js';
import type { TableStep } from './plan.js';
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
export function maskedSelect(step: UpdateStep, table: TableInfo): { select: string; columns: string } {
  const masked = new Map(step.columns.map((column) => [column.column, column.expression]));
  const columns = table.columns.filter((column) => !column.generated);
  return {
    select: columns.map((column) => `${masked.get(column.name) ?? `${ROW_ALIAS}.${quoteIdent(column.name)}`} AS ${quoteIdent(column.name)}`).join(', '),
    columns: columns.map((column) => quoteIdent(column.name)).join(', '),
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
  dictionaries: Set<DictionaryName>,
): Promise<string> {
  const key = sliceKey(table);
  if (key === undefined) throw new Error(`${step.display} has no single integer primary key to slice on`);
  const stage = stageName(step.display);
  const relation = quoteTable(table.name);
  const { select } = maskedSelect(step, table);
  const keyRef = `${ROW_ALIAS}.${quoteIdent(key)}`;
  await client.query(`DROP TABLE IF EXISTS ${stage}`);
  await client.query(`CREATE UNLOGGED TABLE ${stage} AS SELECT ${select} FROM ONLY ${relation} AS ${ROW_ALIAS} WITH NO DATA`, step.params);
  const bounds = await client.query<{ low: string | null; high: string | null }>(`SELECT min(${quoteIdent(key)})::text AS low, max(${quoteIdent(key)})::text AS high FROM ONLY ${relation}`);
  const low = BigInt(bounds.rows[0]?.low ?? '0');
  const high = BigInt(bounds.rows[0]?.high ?? '-1');
  if (high < low) return stage;
  const width = (high - low) / BigInt(sessions) + 1n;
  const from = `$${step.params.length + 1}::text::numeric`;
  const to = `$${step.params.length + 2}::text::numeric`;
  await Promise.all(
    Array.from({ length: sessions }, async (_, index) => {
      const start = low + width * BigInt(index);
      const end = start + width;
      const session = await connect();
      try {
        await prepareSession(session);
        await loadDictionaries(session, dictionaries);
        await session.query(
          `INSERT INTO ${stage} SELECT ${select} FROM ONLY ${relation} AS ${ROW_ALIAS} WHERE ${keyRef} >= ${from} AND ${keyRef} < ${to}`,
          [...step.params, start.toString(), end.toString()],
        );
      } finally {
        await session.end().catch(() => {});
      }
    }),
  );
  return stage;
}

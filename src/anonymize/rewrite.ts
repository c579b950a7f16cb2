// The physical side of masking one table. In place, an UPDATE writes a second copy of every row
// and a new entry in every index; for a big table with several indexes it is quicker to compute
// the masked rows once into a temp table (no WAL), empty the table, load them back, and rebuild
// the indexes and constraints in sorted passes. The table keeps its identity (oid, grants, views,
// triggers, sequences), so nothing that depends on it needs recreating: only its indexes, its
// key constraints and the foreign keys pointing at it are dropped and re-added, from their
// exact catalog definitions, inside the same transaction.
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import type { TableStep } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { ROW_ALIAS } from './plan.js';
import { maskedSelect } from './stage.js';

export type Method = 'update' | 'rewrite';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

/** The cost model (research note §2.5), from catalog figures only. */
export function chooseMethod(table: TableInfo, step: UpdateStep): { method: Method; reason: string } {
  if (table.partitioned) return { method: 'update', reason: 'partitioned table' };
  if (table.estimatedRows < 50_000) return { method: 'update', reason: 'small table' };
  if (table.toastBytes > table.heapBytes) {
    return { method: 'update', reason: 'large out-of-line values an UPDATE does not rewrite' };
  }
  const share = step.columns.length / Math.max(1, table.columns.length);
  if (table.indexCount >= 3 || share >= 0.5) return { method: 'rewrite', reason: `${table.indexCount} indexes, ${Math.round(share * 100)}% of columns masked` };
  return { method: 'update', reason: 'few indexes and few masked columns' };
}

interface Dependents {
  /** Foreign keys of other tables that point at this one. */
  foreignKeys: Array<{ table: string; name: string; definition: string }>;
  /** This table's keys, exclusion constraints and outgoing foreign keys: re-checked in one pass each, not per row. */
  constraints: Array<{ name: string; definition: string }>;
  indexes: Array<{ name: string; definition: string }>;
}

async function captureDependents(client: pg.Client, relation: string): Promise<Dependents> {
  const foreignKeys = await client.query<{ table: string; name: string; definition: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table, k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND k.confrelid = $1::regclass AND k.conrelid <> $1::regclass AND k.conparentid = 0
      ORDER BY k.oid`,
    [relation],
  );
  const constraints = await client.query<{ name: string; definition: string }>(
    `SELECT k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition
       FROM pg_catalog.pg_constraint k
      WHERE k.conrelid = $1::regclass AND k.contype IN ('p', 'u', 'x', 'f')
      -- Re-added in this order: keys before the foreign keys that may point at them (self-references).
      ORDER BY CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 ELSE 3 END, k.oid`,
    [relation],
  );
  const indexes = await client.query<{ name: string; definition: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
      ORDER BY i.indexrelid`,
    [relation],
  );
  return { foreignKeys: foreignKeys.rows, constraints: constraints.rows, indexes: indexes.rows };
}

/**
 * Rewrites the table with its masks applied; returns the number of rows. Call inside the
 * table's transaction with the table locked. Throws (leaving the caller to roll back to a
 * savepoint) if anything depends on the table in a way a drop cannot undo.
 */
export async function rewriteTable(client: pg.Client, step: UpdateStep, table: TableInfo, stage?: string): Promise<number> {
  const relation = quoteTable(table.name);
  const dependents = await captureDependents(client, relation);
  const { select, columns: list } = maskedSelect(step, table);

  // Without a stage filled in parallel beforehand, compute one here (a temp table writes no WAL).
  const source = stage ?? 'refork_stage';
  if (stage === undefined) {
    await client.query(`CREATE TEMP TABLE refork_stage ON COMMIT DROP AS SELECT ${select} FROM ONLY ${relation} AS ${ROW_ALIAS}`, step.params);
  }
  // The stage must hold exactly the table's rows: anything else means it is stale or partial.
  const counts = await client.query<{ staged: string; current: string }>(
    `SELECT (SELECT pg_catalog.count(*) FROM ${source}) AS staged, (SELECT pg_catalog.count(*) FROM ONLY ${relation}) AS current`,
  );
  const staged = Number(counts.rows[0]?.staged ?? -1);
  if (staged !== Number(counts.rows[0]?.current ?? -2)) {
    throw new Error(`stage holds ${staged} rows but the table has ${counts.rows[0]?.current}`);
  }
  for (const key of dependents.foreignKeys) await client.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  for (const index of dependents.indexes) await client.query(`DROP INDEX ${index.name}`);
  for (const constraint of [...dependents.constraints].reverse()) await client.query(`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(constraint.name)}`);
  await client.query(`TRUNCATE ONLY ${relation}`);
  const overriding = table.columns.some((column) => column.identityAlways) ? 'OVERRIDING SYSTEM VALUE ' : '';
  const loaded = await client.query(`INSERT INTO ${relation} (${list}) ${overriding}SELECT ${list} FROM ${source}`);
  await client.query(`DROP TABLE ${source}`);
  if ((loaded.rowCount ?? 0) !== staged) throw new Error(`rewrite lost rows: ${staged} staged, ${loaded.rowCount} written back`);
  // Sorted builds now, instead of one index entry per row during the load.
  for (const constraint of dependents.constraints) await client.query(`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`);
  for (const index of dependents.indexes) await client.query(index.definition);
  for (const key of dependents.foreignKeys) await client.query(`ALTER TABLE ${key.table} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}`);
  return loaded.rowCount ?? 0;
}

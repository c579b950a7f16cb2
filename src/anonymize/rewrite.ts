// The physical side of masking one table. In place, an UPDATE writes a second copy of every row
// and a new entry in every index; for a big indexed table it is quicker to compute the masked
// rows once into a stage (no WAL), empty the table, load them back, and rebuild the indexes and
// constraints in sorted passes. The table keeps its identity (oid, grants, views, triggers,
// sequences), so nothing that depends on it needs recreating: only its indexes, its key
// constraints and the foreign keys pointing at it are dropped and re-added, from their exact
// catalog definitions, inside the same transaction. A table whose bytes are mostly out-of-line
// values stays in place (an UPDATE carries them over by pointer), with its indexes dropped during
// the UPDATE and rebuilt after when it is big enough for that to pay.
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import type { TableStep } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { maskedSelect, maskingSelect } from './stage.js';

export type Method = 'update' | 'rewrite';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

/**
 * The cost model (docs/anonymization.md#choosing-how-a-table-is-rewritten), from catalog figures only. An
 * UPDATE writes a whole new version of every row (masked share or not) and, on the full pages of
 * a fresh fork, a new entry in every index, one random insert at a time; a rewrite writes the rows
 * once and builds each index in one sorted pass. So any indexed table of some size is rewritten,
 * except when most of its bytes are out-of-line values an UPDATE carries over by pointer.
 */
export function chooseMethod(table: TableInfo, step: UpdateStep): { method: Method; reason: string } {
  if (table.partitioned) return { method: 'update', reason: 'partitioned table' };
  // A rewrite inserts the rows again: a trigger that must recompute a column has to fire on INSERT.
  if (step.recompute.some((trigger) => !trigger.events.includes('insert'))) {
    return { method: 'update', reason: 'a trigger that recomputes a column fires on UPDATE only' };
  }
  if (table.estimatedRows < REWRITE_MIN_ROWS) return { method: 'update', reason: 'small table' };
  if (table.toastBytes > table.heapBytes) {
    return { method: 'update', reason: 'large out-of-line values an UPDATE does not rewrite' };
  }
  const share = step.columns.length / Math.max(1, table.columns.length);
  if (table.indexCount >= 1 || share >= 0.5)
    return { method: 'rewrite', reason: `${table.indexCount} indexes, ${Math.round(share * 100)}% of columns masked` };
  return { method: 'update', reason: 'no index and few masked columns' };
}

/** Below this, the rewrite's fixed costs (dependents captured, dropped and rebuilt) outweigh its gains. */
const REWRITE_MIN_ROWS = 50_000;

/** maintenance_work_mem for the index rebuilds (and the foreign-key checks, which use it too). */
const REBUILD_MEMORY = '256MB';

interface Constraint {
  /** The table it belongs to, quoted. */
  table: string;
  name: string;
  definition: string;
  /**
   * A validated foreign key of a plain table: re-added NOT VALID (no check now) and validated once
   * after every table is masked (docs/anonymization.md#foreign-keys-checked-once), instead of once
   * per rewrite of either of its two tables.
   */
  validateLater: boolean;
}

interface Dependents {
  /** Foreign keys of other tables that point at this one. */
  foreignKeys: Constraint[];
  /** This table's keys, exclusion constraints and outgoing foreign keys: re-checked in one pass each, not per row. */
  constraints: Constraint[];
  indexes: Array<{ name: string; definition: string }>;
}

/** A foreign key re-added NOT VALID, for the ledger to hold until it is validated (ledger.ts). */
export interface PendingKey {
  /** Its table, quoted. */
  table: string;
  name: string;
}

// NOT VALID foreign keys on partitioned tables are refused before PostgreSQL 18; a key that was not
// valid in production stays as it was (validating it could fail on data nobody masked).
const VALIDATE_LATER = `(k.contype = 'f' AND k.convalidated AND c.relkind = 'r')`;

async function captureDependents(client: pg.Client, relation: string): Promise<Dependents> {
  const foreignKeys = await client.query<Constraint>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table, k.conname AS name,
            pg_catalog.pg_get_constraintdef(k.oid) AS definition, ${VALIDATE_LATER} AS "validateLater"
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND k.confrelid = $1::regclass AND k.conrelid <> $1::regclass AND k.conparentid = 0
      ORDER BY k.oid`,
    [relation],
  );
  const constraints = await client.query<Constraint>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table, k.conname AS name,
            pg_catalog.pg_get_constraintdef(k.oid) AS definition, ${VALIDATE_LATER} AS "validateLater"
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
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

/** What a rewrite did: the rows written, and the foreign keys it left for the validation pass. */
export interface Rewritten {
  rows: number;
  pending: PendingKey[];
}

/**
 * Rewrites the table with its masks applied. Call inside the
 * table's transaction with the table locked. Throws (leaving the caller to roll back to a
 * savepoint) if anything depends on the table in a way a drop cannot undo.
 */
export async function rewriteTable(
  client: pg.Client,
  step: UpdateStep,
  table: TableInfo,
  stage?: { name: string; rows: number },
): Promise<Rewritten> {
  const relation = quoteTable(table.name);
  const dependents = await captureDependents(client, relation);
  const { columns: list } = maskedSelect(step, table);

  // Without a stage filled in parallel, compute one here (a temp table writes no WAL). Either way
  // it was filled with the table locked against writes, so it holds every row the table does.
  const source = stage?.name ?? 'refork_stage';
  let staged = stage?.rows ?? -1;
  if (stage === undefined) {
    const select = maskingSelect(step, table);
    const created = await client.query(`CREATE TEMP TABLE refork_stage ON COMMIT DROP AS ${select.text}`, select.values);
    staged = created.rowCount ?? -1;
  }
  await dropDependents(client, dependents);
  await client.query(`TRUNCATE ONLY ${relation}`);
  const overriding = table.columns.some((column) => column.identityAlways) ? 'OVERRIDING SYSTEM VALUE ' : '';
  const loaded = await client.query(`INSERT INTO ${relation} (${list}) ${overriding}SELECT ${list} FROM ${source}`);
  await client.query(`DROP TABLE ${source}`);
  // A stage another session dropped or replaced meanwhile shows here (stage names are per attempt).
  if ((loaded.rowCount ?? -1) !== staged) throw new Error(`rewrite lost rows: ${staged} staged, ${loaded.rowCount} written back`);
  return { rows: loaded.rowCount ?? 0, pending: await restoreDependents(client, dependents) };
}

async function dropDependents(client: pg.Client, dependents: Dependents): Promise<void> {
  for (const key of dependents.foreignKeys) await client.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  for (const index of dependents.indexes) await client.query(`DROP INDEX ${index.name}`);
  for (const constraint of [...dependents.constraints].reverse())
    await client.query(`ALTER TABLE ${constraint.table} DROP CONSTRAINT ${quoteIdent(constraint.name)}`);
}

/**
 * Room for index builds to sort in memory, rather than in temporary files on the same disk: raised
 * for the current transaction only, never lowered.
 */
export async function raiseRebuildMemory(client: pg.Client): Promise<void> {
  await client.query(
    `SELECT pg_catalog.set_config(s.name, $1, true) FROM pg_catalog.pg_settings s
      WHERE s.name = 'maintenance_work_mem' AND s.setting::bigint < pg_catalog.pg_size_bytes($1) / 1024`,
    [REBUILD_MEMORY],
  );
}

/** Re-creates what dropDependents dropped; returns the foreign keys re-added NOT VALID. */
async function restoreDependents(client: pg.Client, dependents: Dependents): Promise<PendingKey[]> {
  // Sorted builds now, instead of one index entry per row during the load.
  await raiseRebuildMemory(client);
  const pending: PendingKey[] = [];
  const add = async (constraint: Constraint) => {
    const check = constraint.validateLater ? ' NOT VALID' : '';
    await client.query(`ALTER TABLE ${constraint.table} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}${check}`);
    if (constraint.validateLater) pending.push({ table: constraint.table, name: constraint.name });
  };
  for (const constraint of dependents.constraints) await add(constraint);
  for (const index of dependents.indexes) await client.query(index.definition);
  for (const key of dependents.foreignKeys) await add(key);
  return pending;
}

/** Below this, index entries written one by one cost less than dropping and rebuilding the indexes. */
const INDEX_REBUILD_MIN_ROWS = 20_000;

/**
 * Whether an in-place UPDATE should run with the table's indexes and keys dropped and rebuilt
 * after it (docs/anonymization.md#choosing-how-a-table-is-rewritten): on the full pages of a fresh fork every updated row gets a
 * new entry in every index, one random insert at a time. Not when other tables reference this one:
 * their foreign keys would have to be checked again over all their rows.
 */
export function rebuildsIndexes(table: TableInfo): boolean {
  return !table.partitioned && table.indexCount >= 1 && table.estimatedRows >= INDEX_REBUILD_MIN_ROWS && table.referencedBy.length === 0;
}

/**
 * The table's UPDATE run with its indexes and key constraints dropped, then rebuilt from their
 * exact definitions. Call inside the table's transaction with the
 * table locked; throws (for the caller to roll back to a savepoint) when something depends on them.
 */
export async function updateWithoutIndexes(client: pg.Client, step: UpdateStep, table: TableInfo): Promise<Rewritten> {
  const relation = quoteTable(table.name);
  const dependents = await captureDependents(client, relation);
  await dropDependents(client, dependents);
  const result = await client.query(step.sql, step.params);
  return { rows: result.rowCount ?? 0, pending: await restoreDependents(client, dependents) };
}

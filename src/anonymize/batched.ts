// The disk-bounded path (docs/disk.md): a table whose normal masking would not fit the fork's free
// disk is masked by its own UPDATE, one stripe at a time: the rows whose primary key hashes to r
// (of R stripes). Each stripe commits with its number in the ledger (refork.stripes), then the
// table is vacuumed. A stripe holds about 1/R of the rows of every page, so its new row versions
// fit on their own pages in the room the previous stripe's old versions left, and its new index
// entries beside the old ones without splitting index pages. That holds for an index whose values
// stay; an index over a masked column gets new values elsewhere in its order and would grow by its
// whole size, so it is dropped with the first stripe (its definition kept in the ledger) and built
// again, sorted, with the last. The values are the UPDATE's own, the same as every other path's; a
// resumed run goes on with the next stripe, so no row is masked twice.
import type pg from 'pg';
import { analyzeMasked } from './analyze.js';
import type { ColumnInfo, TableInfo } from './catalog.js';
import { clearStripes, isCompleted, recordCompletion, recordStripe, stripeProgress, type Rebuild } from './ledger.js';
import { ROW_ALIAS, type TableStep } from './plan.js';
import { sampleOriginals, type ResidualResult } from './residual.js';
import { raiseRebuildMemory } from './rewrite.js';
import { quoteIdent, quoteTable } from './quote.js';
import { disableUserTriggers, restoreTriggers } from './triggers.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

export interface StripeRun {
  client: pg.Client;
  step: UpdateStep;
  table: TableInfo;
  batch: { stripes: number; key: ColumnInfo[] };
  runId: string;
  /** The HMAC key, for the residual probe (a bind parameter only). */
  key: string;
  /** Runs `work` in one transaction with the engine's error handling (rolled back on failure). */
  inTransaction: <T>(work: () => Promise<T>) => Promise<T>;
  /** Throws when the run was asked to stop (checked between stripes). */
  checkAborted: () => void;
}

export interface StripeOutcome {
  rows: number;
  stripes: number;
  /** Another session (or an earlier attempt) finished the table. */
  skipped: boolean;
}

export async function maskInStripes(run: StripeRun): Promise<StripeOutcome> {
  const { client, step, table, batch } = run;
  const relation = quoteTable(table.name);
  // A row's stripe: a hash of its key's text, stable because no rule masks the key.
  const key = batch.key.map((column) => `${ROW_ALIAS}.${quoteIdent(column.name)}`).join(', ');
  const stripeOf = (stripes: number) => `(pg_catalog.hashtextextended(ROW(${key})::text, 0) & 9223372036854775807) % ${stripes}`;
  for (;;) {
    run.checkAborted();
    const outcome = await run.inTransaction(async () => {
      // Keeps writers (and another session masking this table) out for the stripe; the ledger is read after it.
      await client.query(`LOCK TABLE ${relation} IN SHARE ROW EXCLUSIVE MODE`);
      if (await isCompleted(client, step.display, run.runId)) return { done: true, skipped: true, rows: 0, stripes: 0 };
      const progress = await stripeProgress(client, step.display, run.runId);
      // A resumed run keeps the stripe count it started with: a row's stripe must not change.
      const stripes = progress.of ?? batch.stripes;
      const stripe = progress.done;
      const rebuild = progress.rebuild ?? (await dropMaskedIndexes(client, relation, step));
      const triggers = await disableUserTriggers(client, step.table, new Set(step.recompute.map((trigger) => trigger.name)));
      const within = `${stripeOf(stripes)} = ${stripe}`;
      // The residual check of the other paths, over this stripe's rows, summed over the stripes.
      const probe = await sampleOriginals(client, step, table, run.key, within);
      const updated = await client.query(`${step.sql} WHERE ${within}`, step.params);
      const residual = addResidual(progress.residual ?? {}, (await probe.check()).columns);
      await restoreTriggers(client, triggers);
      const rows = progress.rows + (updated.rowCount ?? 0);
      if (stripe + 1 < stripes) {
        await recordStripe(client, step.display, run.runId, { done: stripe + 1, of: stripes, rows, rebuild, residual });
        return { done: false, skipped: false, rows, stripes };
      }
      // The last stripe: the table is done, in the same transaction (indexes back, analyzed, as on every path).
      await rebuildIndexes(client, relation, rebuild);
      await analyzeMasked(client, step, table);
      await clearStripes(client, step.display);
      await recordCompletion(client, step.display, run.runId, rows, {
        method: 'batched',
        stripes,
        rebuilt: rebuild.indexes.length + rebuild.constraints.length,
        residual,
      });
      return { done: true, skipped: false, rows, stripes };
    });
    if (outcome.skipped) return { rows: 0, stripes: 0, skipped: true };
    // The stripe's old row versions and index entries become free space the next stripe fills (and,
    // after the last, no original value is left in the table's pages).
    await client.query(`VACUUM ${relation}`);
    if (outcome.done) return { rows: outcome.rows, stripes: outcome.stripes, skipped: false };
  }
}

function addResidual(sum: ResidualResult['columns'], stripe: ResidualResult['columns']): ResidualResult['columns'] {
  const total = { ...sum };
  for (const [column, counts] of Object.entries(stripe)) {
    const before = total[column] ?? { sampled: 0, unchanged: 0 };
    total[column] = { sampled: before.sampled + counts.sampled, unchanged: before.unchanged + counts.unchanged };
  }
  return total;
}

/**
 * Drops the indexes (and the unique or exclusion constraints they back) that read a masked column,
 * except one a foreign key relies on; returns their definitions. Call in the first stripe's
 * transaction, so the drop and the record of what to rebuild commit together.
 */
async function dropMaskedIndexes(client: pg.Client, relation: string, step: UpdateStep): Promise<Rebuild> {
  const found = await client.query<{ name: string; definition: string; constraint: string | null; constraint_definition: string | null }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
            k.conname AS constraint, pg_catalog.pg_get_constraintdef(k.oid) AS constraint_definition
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')
      WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
        -- Columns in the key, an expression or the predicate: each is a dependency of the index (or of its constraint).
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                     WHERE (d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
                            -- A constraint's index: the columns are the constraint's dependencies.
                            OR d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid = k.oid)
                       AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = i.indrelid AND a.attname = ANY ($2::text[]))
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
      ORDER BY i.indexrelid`,
    [relation, step.columns.map((column) => column.column)],
  );
  const rebuild: Rebuild = { constraints: [], indexes: [] };
  for (const row of found.rows) {
    if (row.constraint !== null && row.constraint_definition !== null) {
      await client.query(`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(row.constraint)}`);
      rebuild.constraints.push({ name: row.constraint, definition: row.constraint_definition });
    } else {
      await client.query(`DROP INDEX ${row.name}`);
      rebuild.indexes.push({ name: row.name, definition: row.definition });
    }
  }
  return rebuild;
}

async function rebuildIndexes(client: pg.Client, relation: string, rebuild: Rebuild): Promise<void> {
  if (rebuild.constraints.length + rebuild.indexes.length === 0) return;
  await raiseRebuildMemory(client);
  for (const constraint of rebuild.constraints)
    await client.query(`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`);
  for (const index of rebuild.indexes) await client.query(index.definition);
}

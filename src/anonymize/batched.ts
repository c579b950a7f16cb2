// The disk-bounded path (docs/disk.md): a table whose normal masking would not fit the fork's free
// disk is masked by its own UPDATE, one stripe at a time: the rows whose primary key hashes to r
// (of R stripes). Each stripe commits with its number in the ledger (refork.stripes), then the
// table is vacuumed. A stripe holds about 1/R of the rows of every page, so its new row versions
// fit on their own pages in the room the previous stripe's old versions left, and its new index
// entries beside the old ones without splitting index pages. The values are the UPDATE's own, the
// same as every other path's; a resumed run goes on with the next stripe, so no row is masked twice.
import type pg from 'pg';
import type { ColumnInfo, TableInfo } from './catalog.js';
import { clearStripes, isCompleted, recordCompletion, recordStripe, stripeProgress } from './ledger.js';
import { ROW_ALIAS, type TableStep } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { disableUserTriggers, restoreTriggers } from './triggers.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

export interface StripeRun {
  client: pg.Client;
  step: UpdateStep;
  table: TableInfo;
  batch: { stripes: number; key: ColumnInfo[] };
  runId: string;
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
      const triggers = await disableUserTriggers(client, step.table, new Set(step.recompute.map((trigger) => trigger.name)));
      const updated = await client.query(`${step.sql} WHERE ${stripeOf(stripes)} = ${stripe}`, step.params);
      await restoreTriggers(client, triggers);
      const rows = progress.rows + (updated.rowCount ?? 0);
      if (stripe + 1 < stripes) {
        await recordStripe(client, step.display, run.runId, { done: stripe + 1, of: stripes, rows });
        return { done: false, skipped: false, rows, stripes };
      }
      // The last stripe: the table is done, in the same transaction (analyzed, as on every path).
      await client.query(`ANALYZE ${relation}`);
      await clearStripes(client, step.display);
      await recordCompletion(client, step.display, run.runId, rows, { method: 'batched', stripes });
      return { done: true, skipped: false, rows, stripes };
    });
    if (outcome.skipped) return { rows: 0, stripes: 0, skipped: true };
    // The stripe's old row versions and index entries become free space the next stripe fills (and,
    // after the last, no original value is left in the table's pages).
    await client.query(`VACUUM ${relation}`);
    if (outcome.done) return { rows: outcome.rows, stripes: outcome.stripes, skipped: false };
  }
}

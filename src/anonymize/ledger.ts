// The per-table completion ledger inside the fork. A table's row is written in the same
// transaction that masks it, so "in the ledger" and "masked" can never disagree after a crash.
import type pg from 'pg';
import type { ResidualResult } from './residual.js';
import type { PendingKey } from './rewrite.js';

export const LEDGER_TABLE = 'refork.anonymized';

export async function ensureLedger(client: pg.Client): Promise<void> {
  await client.query('CREATE SCHEMA IF NOT EXISTS refork');
  await client.query(
    `CREATE TABLE IF NOT EXISTS refork.anonymized (
       table_name text PRIMARY KEY,
       run_id text NOT NULL,
       rows bigint,
       completed_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  // What was checked inside the table's transaction (residual sample counts); no values, no key.
  await client.query('ALTER TABLE refork.anonymized ADD COLUMN IF NOT EXISTS checks jsonb');
  // A table masked in stripes (docs/disk.md) commits each stripe with the count done here, so a
  // resumed run goes on with the next; the row goes when the table's own ledger row is written.
  await client.query(
    `CREATE TABLE IF NOT EXISTS refork.stripes (
       table_name text PRIMARY KEY,
       run_id text NOT NULL,
       done integer NOT NULL,
       stripes integer NOT NULL,
       rows bigint NOT NULL,
       rebuild jsonb NOT NULL,
       residual jsonb NOT NULL
     )`,
  );
  // Foreign keys a rewrite re-added NOT VALID, written in the table's transaction and deleted in
  // the one that validates them, so no crash can forget one (docs/anonymization.md#foreign-keys-checked-once).
  await client.query(
    `CREATE TABLE IF NOT EXISTS refork.pending_keys (
       table_name text NOT NULL,
       constraint_name text NOT NULL,
       run_id text NOT NULL,
       PRIMARY KEY (table_name, constraint_name)
     )`,
  );
}

/** Indexes and constraints dropped for the stripes, to build again with the last one (definitions from the catalog). */
export interface Rebuild {
  constraints: Array<{ name: string; definition: string }>;
  indexes: Array<{ name: string; definition: string }>;
}

export interface StripeProgress {
  /** Stripes committed. */
  done: number;
  /** The stripe count the table was started with; undefined before its first stripe. */
  of?: number;
  rows: number;
  /** What the first stripe dropped; undefined before it. */
  rebuild?: Rebuild;
  /** The residual checks of the stripes so far, summed per column. */
  residual?: ResidualResult['columns'];
}

/** Stripes this run has committed for the table (another run's are not ours to go on from). */
export async function stripeProgress(client: pg.Client, table: string, runId: string): Promise<StripeProgress> {
  const result = await client.query<{ done: number; stripes: number; rows: string; rebuild: Rebuild; residual: ResidualResult['columns'] }>(
    'SELECT done, stripes, rows::text, rebuild, residual FROM refork.stripes WHERE table_name = $1 AND run_id = $2',
    [table, runId],
  );
  const row = result.rows[0];
  return row
    ? { done: row.done, of: row.stripes, rows: Number(row.rows), rebuild: row.rebuild, residual: row.residual }
    : { done: 0, rows: 0 };
}

/** Call in the stripe's own transaction, after its UPDATE. */
export async function recordStripe(client: pg.Client, table: string, runId: string, progress: Required<StripeProgress>): Promise<void> {
  await client.query(
    `INSERT INTO refork.stripes (table_name, run_id, done, stripes, rows, rebuild, residual) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (table_name) DO UPDATE
       SET run_id = EXCLUDED.run_id, done = EXCLUDED.done, stripes = EXCLUDED.stripes, rows = EXCLUDED.rows,
           rebuild = EXCLUDED.rebuild, residual = EXCLUDED.residual`,
    [table, runId, progress.done, progress.of, progress.rows, JSON.stringify(progress.rebuild), JSON.stringify(progress.residual)],
  );
}

export async function clearStripes(client: pg.Client, table: string): Promise<void> {
  await client.query('DELETE FROM refork.stripes WHERE table_name = $1', [table]);
}

export async function ledgerExists(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ exists: boolean }>(`SELECT pg_catalog.to_regclass('refork.anonymized') IS NOT NULL AS exists`);
  return result.rows[0]?.exists === true;
}

/** Tables already finished by this run (display names, e.g. `public.users`). */
export async function completedTables(client: pg.Client, runId: string): Promise<Set<string>> {
  const result = await client.query<{ table_name: string }>('SELECT table_name FROM refork.anonymized WHERE run_id = $1', [runId]);
  return new Set(result.rows.map((row) => row.table_name));
}

/** Call inside the table's transaction, after locking the table: a concurrent or earlier attempt may have finished it. */
export async function isCompleted(client: pg.Client, table: string, runId: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM refork.anonymized WHERE table_name = $1 AND run_id = $2', [table, runId]);
  return (result.rowCount ?? 0) > 0;
}

export async function recordCompletion(client: pg.Client, table: string, runId: string, rows: number, checks?: object): Promise<void> {
  // A row left by another run id (a manual re-run on the same database) is taken over, not duplicated.
  await client.query(
    `INSERT INTO refork.anonymized (table_name, run_id, rows, checks) VALUES ($1, $2, $3, $4)
     ON CONFLICT (table_name) DO UPDATE SET run_id = EXCLUDED.run_id, rows = EXCLUDED.rows, checks = EXCLUDED.checks, completed_at = now()`,
    [table, runId, rows, checks === undefined ? null : JSON.stringify(checks)],
  );
}

/** The checks each table recorded in this run, by table display name. */
export async function recordedChecks(client: pg.Client, runId: string): Promise<Map<string, unknown>> {
  const result = await client.query<{ table_name: string; checks: unknown }>(
    'SELECT table_name, checks FROM refork.anonymized WHERE run_id = $1',
    [runId],
  );
  return new Map(result.rows.map((row) => [row.table_name, row.checks]));
}

/** What this run's ledger says of each table: rows and how (no values, no key), for the run's record. */
export async function ledgerRows(
  client: pg.Client,
  runId: string,
): Promise<Array<{ table: string; rows: number | null; checks: unknown }>> {
  const result = await client.query<{ table_name: string; rows: string | null; checks: unknown }>(
    'SELECT table_name, rows::text, checks FROM refork.anonymized WHERE run_id = $1 ORDER BY table_name',
    [runId],
  );
  return result.rows.map((row) => ({ table: row.table_name, rows: row.rows === null ? null : Number(row.rows), checks: row.checks }));
}

/** Call in the transaction that re-added the keys NOT VALID. */
export async function recordPendingKeys(client: pg.Client, keys: PendingKey[], runId: string): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `INSERT INTO refork.pending_keys (table_name, constraint_name, run_id)
     SELECT k.table_name, k.constraint_name, $3 FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS k (table_name, constraint_name)
     ON CONFLICT (table_name, constraint_name) DO UPDATE SET run_id = EXCLUDED.run_id`,
    [keys.map((key) => key.table), keys.map((key) => key.name), runId],
  );
}

/** Foreign keys re-added NOT VALID and not validated yet, whichever run left them. */
export async function pendingKeys(client: pg.Client): Promise<PendingKey[]> {
  const exists = await client.query<{ exists: boolean }>(`SELECT pg_catalog.to_regclass('refork.pending_keys') IS NOT NULL AS exists`);
  if (exists.rows[0]?.exists !== true) return [];
  const result = await client.query<PendingKey>(
    'SELECT table_name AS table, constraint_name AS name FROM refork.pending_keys ORDER BY table_name, constraint_name',
  );
  return result.rows;
}

/** Call in the transaction that validated the key. */
export async function settlePendingKey(client: pg.Client, key: PendingKey): Promise<void> {
  await client.query('DELETE FROM refork.pending_keys WHERE table_name = $1 AND constraint_name = $2', [key.table, key.name]);
}

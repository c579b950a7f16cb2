// Fix-ups (docs/fixups.md): the pipeline's own SQL statements, run in the masked fork before it
// is verified. Each runs in a transaction of its own that also writes its row in the fork's
// ledger `refork.fixups`, so "applied" and "in the ledger" never disagree after a crash and a
// resumed run skips what is done. The row records what the verifier and the run's record need:
// which transaction wrote (to find the rows it wrote), the tables it wrote, the rows it affected.
// Statement text is never stored or shown: only a keyed digest, and excerpts without literals.
import { createHmac } from 'node:crypto';
import type pg from 'pg';
import { excerptOf, literalsOf } from '../config/fixups.js';
import type { TableName } from './quote.js';
import { messageOf, prepareSession, scrub } from './session.js';

export const FIXUP_LEDGER = 'refork.fixups';

/** A configured fix-up as the ledger knows it: its place in the list and a digest of its text. */
export interface FixupRef {
  /** 1-based position in the pipeline's list. */
  ordinal: number;
  digest: string;
}

export interface AppliedFixup extends FixupRef {
  /** Rows the statement reported (INSERT/UPDATE/DELETE…); null for one that reports none (DDL). */
  rows: number | null;
  /** Tables whose rows the transaction wrote (triggers' writes included). */
  tables: TableName[];
  /** The writing transaction's id as `xmin` shows it: the rows it wrote last carry it. */
  xid: string;
}

export interface FixupOutcome extends Omit<AppliedFixup, 'xid'> {
  /** Applied by an earlier attempt of this run (found in the ledger), not now. */
  resumed: boolean;
}

/**
 * Keyed with the anonymization key: a fix-up may hold a password literal, and a plain digest of
 * a short statement could be guessed back from a dictionary. The same text and key always give
 * the same digest, so runs and their records can be compared.
 */
export function fixupDigest(statement: string, key: string): string {
  return createHmac('sha256', key).update('refork-fixup\u0000').update(statement).digest('hex').slice(0, 16);
}

export function fixupRefs(statements: string[], key: string): FixupRef[] {
  return statements.map((statement, index) => ({ ordinal: index + 1, digest: fixupDigest(statement, key) }));
}

export async function ensureFixupLedger(client: pg.Client): Promise<void> {
  await client.query('CREATE SCHEMA IF NOT EXISTS refork');
  await client.query(
    `CREATE TABLE IF NOT EXISTS refork.fixups (
       run_id text NOT NULL,
       ordinal integer NOT NULL,
       digest text NOT NULL,
       rows bigint,
       tables jsonb NOT NULL,
       xid text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (run_id, ordinal)
     )`,
  );
}

/** The fix-ups this run applied, in order (none when the ledger does not exist). */
export async function appliedFixups(client: pg.Client, runId: string): Promise<AppliedFixup[]> {
  const exists = await client.query<{ exists: boolean }>(`SELECT pg_catalog.to_regclass('refork.fixups') IS NOT NULL AS exists`);
  if (exists.rows[0]?.exists !== true) return [];
  const result = await client.query<{ ordinal: number; digest: string; rows: string | null; tables: TableName[]; xid: string }>(
    'SELECT ordinal, digest, rows::text, tables, xid FROM refork.fixups WHERE run_id = $1 ORDER BY ordinal',
    [runId],
  );
  return result.rows.map((row) => ({
    ordinal: row.ordinal,
    digest: row.digest,
    rows: row.rows === null ? null : Number(row.rows),
    tables: row.tables,
    xid: row.xid,
  }));
}

/** A fix-up that failed for good (its SQL, or a changed list): the run must not go on. */
export class FixupError extends Error {
  override readonly name = 'FixupError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly code: 'fixup_failed' | 'fixup_changed',
  ) {
    super(message);
  }
}

export interface FixupOptions {
  /** Opens a fresh connection to the fork. */
  connect: () => Promise<pg.Client>;
  statements: string[];
  runId: string;
  key: string;
  signal?: AbortSignal;
  /** Named crash points around each fix-up's commit (src/boundary.ts). */
  boundary?: (name: string) => void;
}

/**
 * Applies the fix-ups not yet in this run's ledger, in order. A statement that fails is final
 * (FixupError); a lost session or a lock wait is not (the error is thrown as it came, for the
 * runner to retry the step: the ledger makes that safe).
 */
export async function applyFixups(options: FixupOptions): Promise<FixupOutcome[]> {
  const refs = fixupRefs(options.statements, options.key);
  if (refs.length === 0) return [];
  options.signal?.throwIfAborted();
  const client = await options.connect();
  // Closing the session is how an abort stops a statement in flight: its transaction then rolls back.
  const onAbort = () => void client.end().catch(() => {});
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await prepareSession(client);
    await client.query(`SET application_name = 'refork-fixups'`);
    await ensureFixupLedger(client);
    const outcomes: FixupOutcome[] = [];
    for (const [index, ref] of refs.entries()) {
      options.signal?.throwIfAborted();
      outcomes.push(await applyOne(client, options, ref, options.statements[index] ?? ''));
    }
    return outcomes;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

async function applyOne(client: pg.Client, options: FixupOptions, ref: FixupRef, statement: string): Promise<FixupOutcome> {
  await client.query('BEGIN');
  try {
    // One attempt at a time: an abandoned attempt still running its statement holds this lock
    // until its transaction ends, and the next reads the ledger only then.
    await client.query('LOCK TABLE refork.fixups IN SHARE ROW EXCLUSIVE MODE');
    const done = await client.query<{ digest: string; rows: string | null; tables: TableName[] }>(
      'SELECT digest, rows::text, tables FROM refork.fixups WHERE run_id = $1 AND ordinal = $2',
      [options.runId, ref.ordinal],
    );
    const row = done.rows[0];
    if (row) {
      await client.query('ROLLBACK');
      if (row.digest !== ref.digest)
        throw new FixupError(
          `fix-up ${ref.ordinal} changed while this run was under way (the fork has the earlier one applied): the run stops; the next one applies the list as it is now`,
          'fixup_changed',
        );
      return { ...ref, rows: row.rows === null ? null : Number(row.rows), tables: row.tables, resumed: true };
    }
    const xid = await client.query<{ xid: string; top: string }>(
      `SELECT (pg_catalog.txid_current() % 4294967296)::text AS xid, pg_catalog.txid_current()::text AS top`,
    );
    const top = xid.rows[0]?.top ?? '';
    const before = await tupleWrites(client);
    let rows: number | null;
    try {
      // The extended protocol runs exactly one statement, whatever the text holds (pg's types lack the option).
      const query: pg.QueryConfig & { queryMode: 'extended' } = { text: statement, queryMode: 'extended' };
      const result = await client.query(query);
      rows = typeof result.rowCount === 'number' ? result.rowCount : null;
    } catch (error) {
      if (isTransient(error)) throw error;
      throw new FixupError(
        `fix-up ${ref.ordinal} (${excerptOf(statement)}) failed: ${safeMessage(error, statement, options.key)}`,
        'fixup_failed',
      );
    }
    const same = await client.query<{ top: string }>('SELECT pg_catalog.txid_current()::text AS top');
    if (same.rows[0]?.top !== top)
      throw new FixupError(
        `fix-up ${ref.ordinal} (${excerptOf(statement)}) ended refork's transaction: remove COMMIT/ROLLBACK from it`,
        'fixup_failed',
      );
    const tables = writtenSince(before, await tupleWrites(client));
    await client.query('INSERT INTO refork.fixups (run_id, ordinal, digest, rows, tables, xid) VALUES ($1, $2, $3, $4, $5, $6)', [
      options.runId,
      ref.ordinal,
      ref.digest,
      rows,
      JSON.stringify(tables),
      xid.rows[0]?.xid ?? '',
    ]);
    options.boundary?.(`fork:fixup:commit:before`);
    await client.query('COMMIT');
    options.boundary?.(`fork:fixup:commit:after`);
    return { ...ref, rows, tables, resumed: false };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Rows written per table as the session's statistics count them. The counts include earlier
 * transactions of the session not yet sent to the statistics system, so what one statement wrote
 * is the difference of two readings inside its transaction (nothing is sent mid-transaction).
 */
async function tupleWrites(client: pg.Client): Promise<Map<string, { name: TableName; writes: number }>> {
  const result = await client.query<{ schema: string; table: string; writes: string }>(
    `SELECT schemaname AS schema, relname AS table, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes
       FROM pg_catalog.pg_stat_xact_user_tables WHERE schemaname <> 'refork'`,
  );
  return new Map(
    result.rows.map((row) => [
      `${row.schema}.${row.table}`,
      { name: { schema: row.schema, table: row.table }, writes: Number(row.writes) },
    ]),
  );
}

function writtenSince(before: Map<string, { writes: number }>, after: Map<string, { name: TableName; writes: number }>): TableName[] {
  return [...after]
    .filter(([key, entry]) => entry.writes > (before.get(key)?.writes ?? 0))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => entry.name);
}

/**
 * A lost session, a lock wait that timed out, a conflict or a cancel: trying again can help.
 * Anything else with an SQLSTATE is the statement's own fault.
 */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return /^(08|40|53|57)/.test(code) || code === '55P03';
}

/** The server's message, one line, with the statement's literals (and the key, and credentials) cut out. */
function safeMessage(error: unknown, statement: string, key: string): string {
  let message = (messageOf(error).split('\n')[0] ?? '').trim();
  for (const literal of literalsOf(statement).sort((a, b) => b.length - a.length)) {
    if (literal.length >= 3) message = message.split(literal).join('…');
  }
  return scrub(message, key);
}

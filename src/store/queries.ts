// Reads for the runner, `status` and `history`. None of them takes a lock.
import type { Knex } from 'knex';
import { eventFromRow, runFromRow, type RunEventRow, type RunRow } from './rows.js';
import type { LatestRun, RunEvent, RunRecord, RunStatus } from './types.js';

export interface ListRunsFilter {
  pipeline?: string;
  status?: RunStatus;
  limit?: number;
}

const DEFAULT_LIST_LIMIT = 50;

// Run ids come from users too (`refork events <id>`): a malformed one is "no such run",
// not a database error about uuid syntax.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function activeRun(knex: Knex, pipeline: string): Promise<RunRecord | null> {
  const result = await knex.raw<{ rows: RunRow[] }>(`SELECT * FROM refork_runs WHERE pipeline = :pipeline AND status = 'active'`, {
    pipeline,
  });
  const [row] = result.rows;
  return row ? runFromRow(row) : null;
}

export async function getRun(knex: Knex, runId: string): Promise<RunRecord | null> {
  if (!UUID.test(runId)) return null;
  const result = await knex.raw<{ rows: RunRow[] }>(`SELECT * FROM refork_runs WHERE id = :runId`, { runId });
  const [row] = result.rows;
  return row ? runFromRow(row) : null;
}

/** Newest first; `id` breaks ties so pages are stable. */
export async function listRuns(knex: Knex, filter: ListRunsFilter = {}): Promise<RunRecord[]> {
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`listRuns limit must be a positive integer, got ${limit}`);
  const result = await knex.raw<{ rows: RunRow[] }>(
    `
    SELECT *
      FROM refork_runs
     WHERE (CAST(:pipeline AS text) IS NULL OR pipeline = :pipeline)
       AND (CAST(:status AS text) IS NULL OR status = :status)
     ORDER BY created_at DESC, id DESC
     LIMIT :limit
    `,
    { pipeline: filter.pipeline ?? null, status: filter.status ?? null, limit },
  );
  return result.rows.map(runFromRow);
}

export async function runEvents(knex: Knex, runId: string): Promise<RunEvent[]> {
  if (!UUID.test(runId)) return [];
  const result = await knex.raw<{ rows: RunEventRow[] }>(`SELECT * FROM refork_run_events WHERE run_id = :runId ORDER BY seq`, { runId });
  return result.rows.map(eventFromRow);
}

/** The database's clock: leases are decided by it, never by this host's. */
export async function databaseNow(knex: Knex): Promise<Date> {
  const result = await knex.raw<{ rows: { now: Date }[] }>('SELECT now() AS now');
  const [row] = result.rows;
  if (!row) throw new Error('SELECT now() returned no row');
  return row.now;
}

/**
 * How long until the soonest active run of these pipelines may be claimed: its due time if it
 * is free, its lease expiry if someone holds it (a holder that died hands it on then), unless
 * leased runs are left out (a tick leaves held runs to their holder).
 */
export async function nextDueInMs(knex: Knex, pipelines: string[], options: { includeLeased: boolean }): Promise<number | null> {
  if (pipelines.length === 0) return null;
  const result = await knex.raw<{ rows: { ms: number | null }[] }>(
    `
    SELECT extract(epoch FROM min(greatest(coalesce(not_before, now()), coalesce(lease_expires_at, now())) - now())) * 1000 AS ms
      FROM refork_runs
     WHERE status = 'active'
       AND pipeline = ANY(CAST(:pipelines AS text[]))
       AND (:includeLeased OR lease_expires_at IS NULL OR lease_expires_at <= now())
    `,
    { pipelines, includeLeased: options.includeLeased },
  );
  const ms = result.rows[0]?.ms;
  return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
}

export async function latestRuns(knex: Knex, pipelines: string[]): Promise<LatestRun[]> {
  if (pipelines.length === 0) return [];
  const result = await knex.raw<{ rows: { pipeline: string; status: RunStatus; created_at: Date }[] }>(
    `
    SELECT DISTINCT ON (pipeline) pipeline, status, created_at
      FROM refork_runs
     WHERE pipeline = ANY(CAST(:pipelines AS text[]))
     ORDER BY pipeline, created_at DESC, id DESC
    `,
    { pipelines },
  );
  return result.rows.map((row) => ({ pipeline: row.pipeline, status: row.status, createdAt: row.created_at }));
}

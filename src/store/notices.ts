// The notification outbox (migrations/004_notifications.ts, docs/design.md#notifications): a
// notice is recorded once per run and kind, then taken by one process at a time to be sent,
// and settled as delivered, due again later, or given up.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { NewNotice, NoticeKind, NoticeSettlement, OwedNotice } from './types.js';

interface NoticeRow {
  id: string;
  run_id: string;
  pipeline: string;
  kind: NoticeKind;
  state: string;
  error: string | null;
  elapsed_ms: string;
  attempts: number;
  age_ms: number;
}

/**
 * Records a run's notice unless one of its kind already is; `true` when this call recorded it.
 * The time is from the run's start to its end (or to now, for an active run); the error is the
 * run's own unless given.
 */
export async function recordNotice(knex: Knex | Knex.Transaction, notice: NewNotice): Promise<boolean> {
  const result = await knex.raw<{ rows: unknown[] }>(
    `
    INSERT INTO refork_notifications (id, run_id, kind, state, error, elapsed_ms)
    SELECT CAST(:id AS uuid), id, :kind, :state, CASE WHEN :runError THEN error ELSE CAST(:error AS text) END,
           (extract(epoch FROM coalesce(finished_at, now()) - created_at) * 1000)::bigint
      FROM refork_runs
     WHERE id = CAST(:runId AS uuid)
    ON CONFLICT (run_id, kind) DO NOTHING
    RETURNING id
    `,
    {
      id: randomUUID(),
      runId: notice.runId,
      kind: notice.kind,
      state: notice.state,
      runError: notice.error === undefined,
      error: notice.error ?? null,
    },
  );
  return result.rows.length > 0;
}

/**
 * Takes up to `limit` owed notices (of one run, or any) for `holdMs`: another process skips them
 * meanwhile, and takes them again after that if this one died before settling them.
 */
export async function takeOwedNotices(knex: Knex, request: { runId?: string; limit: number; holdMs: number }): Promise<OwedNotice[]> {
  const result = await knex.raw<{ rows: NoticeRow[] }>(
    `
    WITH owed AS (
      SELECT id FROM refork_notifications
       WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
         AND (CAST(:runId AS uuid) IS NULL OR run_id = CAST(:runId AS uuid))
       ORDER BY next_attempt_at
       LIMIT :limit
         FOR UPDATE SKIP LOCKED
    )
    UPDATE refork_notifications n
       SET attempts = n.attempts + 1,
           next_attempt_at = now() + CAST(:holdMs AS double precision) * interval '1 millisecond'
      FROM owed, refork_runs r
     WHERE n.id = owed.id AND r.id = n.run_id
    RETURNING n.id, n.run_id, r.pipeline, n.kind, n.state, n.error, n.elapsed_ms, n.attempts,
              extract(epoch FROM now() - n.created_at) * 1000 AS age_ms
    `,
    { runId: request.runId ?? null, limit: request.limit, holdMs: request.holdMs },
  );
  return result.rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    pipeline: row.pipeline,
    kind: row.kind,
    state: row.state,
    error: row.error,
    elapsedMs: Number(row.elapsed_ms),
    attempts: row.attempts,
    ageMs: Number(row.age_ms),
  }));
}

export async function settleNotice(knex: Knex, id: string, settlement: NoticeSettlement): Promise<void> {
  if (settlement.delivered) {
    await knex.raw('UPDATE refork_notifications SET delivered_at = now() WHERE id = :id', { id });
  } else if ('giveUp' in settlement) {
    await knex.raw('UPDATE refork_notifications SET gave_up_at = now() WHERE id = :id', { id });
  } else {
    await knex.raw(
      `UPDATE refork_notifications SET next_attempt_at = now() + CAST(:ms AS double precision) * interval '1 millisecond' WHERE id = :id`,
      { id, ms: settlement.retryInMs },
    );
  }
}

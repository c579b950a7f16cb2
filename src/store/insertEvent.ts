// Appends one row to a run's event log with the next sequence number.
// Callers must already hold the run's row lock in the same transaction (their fenced UPDATE
// or SELECT … FOR UPDATE): that lock is what serialises writers, so max(seq) + 1 is race-free.
// It must be a separate statement from the one that took the lock: a statement's snapshot is
// taken when it starts, so a max(seq) computed in the locking statement could predate the
// events committed by the writer it waited for.
import type { Knex } from 'knex';
import { toJsonb } from './jsonb.js';

export interface EventToInsert {
  runId: string;
  type: string;
  from: string | null;
  to: string | null;
  detail?: Record<string, unknown>;
}

export async function insertEvent(trx: Knex.Transaction, event: EventToInsert): Promise<number> {
  const result = await trx.raw<{ rows: { seq: number }[] }>(
    `
    INSERT INTO refork_run_events (run_id, seq, from_state, to_state, type, detail)
    SELECT CAST(:runId AS uuid), coalesce(max(seq), 0) + 1,
           CAST(:from AS text), CAST(:to AS text), CAST(:type AS text), CAST(:detail AS jsonb)
      FROM refork_run_events
     WHERE run_id = :runId
    RETURNING seq
    `,
    {
      runId: event.runId,
      from: event.from ?? null,
      to: event.to ?? null,
      type: event.type,
      detail: toJsonb(event.detail ?? {}),
    },
  );
  const [row] = result.rows;
  if (!row) throw new Error(`no event row was inserted for run ${event.runId}`);
  return row.seq;
}

/** A lease changing hands (`lease.acquired`) or given up (`lease.released`): who, with which token. */
export async function insertLeaseEvent(
  trx: Knex.Transaction,
  type: 'lease.acquired' | 'lease.released',
  lease: { runId: string; owner: string; token: number },
  state: string,
): Promise<void> {
  await insertEvent(trx, { runId: lease.runId, type, from: state, to: state, detail: { owner: lease.owner, token: lease.token } });
}

// `refork abort`: marks the pipeline's active run and makes it due now; the lease holder (or the
// next worker to take it) sees the mark on its next read and steers the machine into compensation. Only a mark, so it needs no lease. The
// first request's time is kept; repeating the command changes nothing but logs the request.
import type { Knex } from 'knex';
import { insertEvent } from './insertEvent.js';
import { runFromRow, type RunRow } from './rows.js';
import { writeTransaction } from './transaction.js';
import type { RunRecord } from './types.js';

export async function requestAbort(knex: Knex, pipeline: string): Promise<RunRecord | null> {
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: RunRow[] }>(
      `
      UPDATE refork_runs
         SET abort_requested_at = coalesce(abort_requested_at, now()),
             not_before = NULL,
             updated_at = now()
       WHERE pipeline = :pipeline
         AND status = 'active'
      RETURNING *
      `,
      { pipeline },
    );
    const [row] = result.rows;
    if (!row) return null;
    await insertEvent(trx, { runId: row.id, type: 'abort.requested', from: row.state, to: row.state });
    return runFromRow(row);
  });
}

// Takes the leases of active runs that are due (`not_before` passed, by the database clock)
// and free (no lease, or an expired one), in one statement. `FOR UPDATE SKIP LOCKED` lets
// several workers claim at once without waiting on each other: a row another claimer has
// locked is skipped, so each due run goes to exactly one of them. As with claimRun, every
// acquisition adds one to the token, which fences the previous holder out.
import type { Knex } from 'knex';
import { insertLeaseEvent } from './insertEvent.js';
import { leaseTtlMs } from './leaseTtl.js';
import { leaseFromRow, runFromRow, type RunRow } from './rows.js';
import { writeTransaction } from './transaction.js';
import type { ClaimDueRequest, ClaimedRun } from './types.js';

export async function claimDue(knex: Knex, request: ClaimDueRequest): Promise<ClaimedRun[]> {
  if (request.limit <= 0 || request.pipelines.length === 0) return [];
  const ttl = leaseTtlMs(request.leaseTtlMs);
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: Array<RunRow & { previous_owner: string | null }> }>(
      `
      WITH due AS (
        SELECT id, lease_owner AS previous_owner
          FROM refork_runs
         WHERE status = 'active'
           AND pipeline = ANY(CAST(:pipelines AS text[]))
           AND (lease_expires_at IS NULL OR lease_expires_at <= now())
           AND (not_before IS NULL OR not_before <= now())
           AND (state = ANY(CAST(:states AS text[]))) = :inStates
         ORDER BY not_before NULLS FIRST, created_at
         LIMIT :limit
           FOR UPDATE SKIP LOCKED
      )
      UPDATE refork_runs AS r
         SET lease_owner = :owner,
             lease_token = r.lease_token + 1,
             lease_expires_at = now() + CAST(:ttl AS double precision) * interval '1 millisecond'
        FROM due
       WHERE r.id = due.id
      RETURNING r.*, due.previous_owner
      `,
      {
        pipelines: request.pipelines,
        states: request.states.names,
        inStates: request.states.only === 'these',
        limit: request.limit,
        owner: request.owner,
        ttl,
      },
    );
    const claimed: ClaimedRun[] = [];
    for (const row of result.rows) {
      const lease = leaseFromRow(row);
      await insertLeaseEvent(trx, 'lease.acquired', lease, row.state);
      claimed.push({ run: runFromRow(row), lease, previousOwner: row.previous_owner });
    }
    return claimed;
  });
}

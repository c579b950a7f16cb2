// Takes over the lease of an active run that is due (`not_before` passed) and whose lease is
// free or expired, by the database clock. The UPDATE is the whole decision: when several processes claim at once, the row
// lock queues them and each re-checks the WHERE against the winner's row, so one wins.
// Every acquisition adds one to the token, which is what fences the previous holder out.
import type { Knex } from 'knex';
import { insertLeaseEvent } from './insertEvent.js';
import { leaseTtlMs } from './leaseTtl.js';
import { leaseFromRow, type LeaseRow } from './rows.js';
import { writeTransaction } from './transaction.js';
import type { Lease } from './types.js';

export async function claimRun(knex: Knex, runId: string, owner: string, leaseTtl: number): Promise<Lease | null> {
  const ttl = leaseTtlMs(leaseTtl);
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: (LeaseRow & { state: string })[] }>(
      `
      UPDATE refork_runs
         SET lease_owner = :owner,
             lease_token = lease_token + 1,
             lease_expires_at = now() + CAST(:ttl AS double precision) * interval '1 millisecond'
       WHERE id = :runId
         AND status = 'active'
         AND (lease_expires_at IS NULL OR lease_expires_at <= now())
         AND (not_before IS NULL OR not_before <= now())
      RETURNING id, lease_owner, lease_token, lease_expires_at, state
      `,
      { runId, owner, ttl },
    );
    const [row] = result.rows;
    if (!row) return null;
    const lease = leaseFromRow(row);
    await insertLeaseEvent(trx, 'lease.acquired', lease, row.state);
    return lease;
  });
}

// Heartbeat: pushes the lease's expiry to now() + TTL on the database clock.
import type { Knex } from 'knex';
import { FENCE, fenceBindings } from './fence.js';
import { leaseTtlMs } from './leaseTtl.js';
import { leaseFromRow, type LeaseRow } from './rows.js';
import type { Lease } from './types.js';

/** `null` when the lease is lost: another process claimed the run, or the run finished. */
export async function renewLease(knex: Knex, lease: Lease, leaseTtl: number): Promise<Lease | null> {
  const result = await knex.raw<{ rows: LeaseRow[] }>(
    `
    UPDATE refork_runs
       SET lease_expires_at = now() + CAST(:ttl AS double precision) * interval '1 millisecond'
     WHERE ${FENCE}
       AND status = 'active'
    RETURNING id, lease_owner, lease_token, lease_expires_at
    `,
    { ...fenceBindings(lease), ttl: leaseTtlMs(leaseTtl) },
  );
  const [row] = result.rows;
  return row ? leaseFromRow(row) : null;
}

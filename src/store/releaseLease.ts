// Gives the lease up at the end of a tick or on SIGTERM: expiry becomes now(), so the next
// tick can claim at once. Owner and token stay, so `status` shows who held it last, and the
// holder keeps its (now claimable) lease until someone else actually claims.
import type { Knex } from 'knex';
import { FENCE, fenceBindings } from './fence.js';
import { insertLeaseEvent } from './insertEvent.js';
import { writeTransaction } from './transaction.js';
import type { Lease } from './types.js';

/** A no-op when the lease was already lost: there is nothing left to give up. */
export async function releaseLease(knex: Knex, lease: Lease): Promise<void> {
  await writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: { state: string }[] }>(
      `
      UPDATE refork_runs
         SET lease_expires_at = now()
       WHERE ${FENCE}
      RETURNING state
      `,
      fenceBindings(lease),
    );
    const [row] = result.rows;
    if (!row) return;
    await insertLeaseEvent(trx, 'lease.released', lease, row.state);
  });
}

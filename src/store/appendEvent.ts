// Appends an event (effect started or finished, wait message, …) on behalf of the lease
// holder. The fenced SELECT … FOR UPDATE both checks the token and takes the run's row lock,
// which serialises sequence numbers with every other writer of this run.
// Not limited to active runs: the holder may record what it does after the final
// transition (e.g. cleanup notes), and a finished run can never be claimed by anyone else.
import type { Knex } from 'knex';
import { FENCE, fenceBindings } from './fence.js';
import { insertEvent } from './insertEvent.js';
import { writeTransaction } from './transaction.js';
import type { Lease, RunEvent } from './types.js';

export async function appendEvent(knex: Knex, lease: Lease, event: Omit<RunEvent, 'runId' | 'seq' | 'at'>): Promise<boolean> {
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: { id: string }[] }>(`SELECT id FROM refork_runs WHERE ${FENCE} FOR UPDATE`, fenceBindings(lease));
    if (result.rows.length === 0) return false;
    await insertEvent(trx, { runId: lease.runId, type: event.type, from: event.from, to: event.to, detail: event.detail });
    return true;
  });
}

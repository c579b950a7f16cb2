// Every write transaction of the store bounds how long it may sit idle. If this process
// stalls or its host vanishes mid-transaction (a half-open connection the server may not
// notice for hours), the server ends the session after the timeout, rolls back and frees
// the run's row lock, so other processes' claims are not blocked behind a ghost.
// SET LOCAL rather than a session setting: it also holds behind a transaction-mode pooler.
import type { Knex } from 'knex';

export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

export async function writeTransaction<T>(
  knex: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  idleTimeoutMs = IDLE_IN_TRANSACTION_TIMEOUT_MS,
): Promise<T> {
  return knex.transaction(async (trx) => {
    // SET takes no bind parameters; set_config(…, true) is SET LOCAL that does.
    await trx.raw(`SELECT set_config('idle_in_transaction_session_timeout', ?, true)`, [String(idleTimeoutMs)]);
    return work(trx);
  });
}

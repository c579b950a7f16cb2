// Persists one machine transition: the run row (snapshot, state, status, error), its event row
// and, when the run ends, the notice it owes commit together or not at all, fenced by the lease
// token. The runner calls it before starting the next side effect (invariant 6,
// docs/design.md#invariants).
import type { Knex } from 'knex';
import { FENCE, fenceBindings } from './fence.js';
import { insertEvent } from './insertEvent.js';
import { recordNotice } from './notices.js';
import { toJsonb } from './jsonb.js';
import { writeTransaction } from './transaction.js';
import type { Lease, Transition } from './types.js';

/**
 * The run's due time moves with it (`not_before`, on the database clock), so a waiting run is a
 * row that says when it wants to be picked up again, not a process asleep.
 * `false`, with nothing written, when the lease was lost or the run already finished: the
 * runner must stop without further side effects. `transition.error`: a string replaces the
 * run's error, `null` clears it, absent keeps it.
 */
export async function saveTransition(knex: Knex, lease: Lease, transition: Transition): Promise<boolean> {
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: { id: string }[] }>(
      `
      UPDATE refork_runs
         SET state = :state,
             status = :status,
             snapshot = CAST(:snapshot AS jsonb),
             error = CASE WHEN :keepError THEN error ELSE CAST(:error AS text) END,
             not_before = CASE WHEN CAST(:dueInMs AS double precision) IS NULL THEN NULL
                               ELSE now() + CAST(:dueInMs AS double precision) * interval '1 millisecond' END,
             updated_at = now(),
             finished_at = CASE WHEN :status = 'active' THEN NULL ELSE now() END
       WHERE ${FENCE}
         AND status = 'active'
      RETURNING id
      `,
      {
        ...fenceBindings(lease),
        state: transition.state,
        status: transition.status,
        snapshot: toJsonb(transition.snapshot),
        keepError: transition.error === undefined,
        error: transition.error ?? null,
        dueInMs: transition.dueInMs !== undefined && transition.dueInMs !== null && transition.dueInMs > 0 ? transition.dueInMs : null,
      },
    );
    if (result.rows.length === 0) return false;
    await insertEvent(trx, {
      runId: lease.runId,
      type: transition.event.type,
      from: transition.event.from,
      to: transition.event.to,
      detail: transition.event.detail ?? {},
    });
    // The end of a run and the notice that says so commit together: no process can die between them.
    if (transition.status !== 'active') await recordNotice(trx, { runId: lease.runId, kind: transition.status, state: transition.status });
    return true;
  });
}

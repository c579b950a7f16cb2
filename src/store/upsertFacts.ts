// Stores one kind of fact of a run (its record, `refork report`), replacing what an earlier try
// of the same step stored. Called inside the fenced transaction of the step's transition.
import type { Knex } from 'knex';
import { toJsonb } from './jsonb.js';

export async function upsertFacts(trx: Knex.Transaction, runId: string, kind: string, facts: Record<string, unknown>): Promise<void> {
  await trx.raw(
    `
    INSERT INTO refork_run_facts (run_id, kind, facts)
    VALUES (:runId, :kind, CAST(:facts AS jsonb))
    ON CONFLICT (run_id, kind) DO UPDATE SET facts = EXCLUDED.facts, recorded_at = now()
    `,
    { runId, kind, facts: toJsonb(facts) },
  );
}

// Creates a pipeline's run and takes its lease in one transaction. The partial unique index
// `refork_runs_one_active_per_pipeline` makes "one active run per pipeline" hold across
// processes: a concurrent insert waits for the first to commit, then fails on the index.
import type { Knex } from 'knex';
import { insertEvent } from './insertEvent.js';
import { toJsonb } from './jsonb.js';
import { leaseTtlMs } from './leaseTtl.js';
import { activeRun } from './queries.js';
import { leaseFromRow, runFromRow, type RunRow } from './rows.js';
import { writeTransaction } from './transaction.js';
import type { NewRun, StartRunResult } from './types.js';

const ONE_ACTIVE_PER_PIPELINE = 'refork_runs_one_active_per_pipeline';
// The active run we collided with may finish before we read it; then the insert is retried.
const MAX_ATTEMPTS = 5;

export async function startRun(knex: Knex, run: NewRun): Promise<StartRunResult> {
  const ttl = leaseTtlMs(run.leaseTtlMs);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      return await insertRun(knex, run, ttl);
    } catch (error) {
      if (!violates(error, ONE_ACTIVE_PER_PIPELINE)) throw error;
    }
    const active = await activeRun(knex, run.pipeline);
    if (active) return { started: false, active };
  }
  throw new Error(`could not start a run of pipeline ${run.pipeline}: another run kept becoming active and finishing; retry`);
}

async function insertRun(knex: Knex, run: NewRun, ttl: number): Promise<StartRunResult> {
  return writeTransaction(knex, async (trx) => {
    const result = await trx.raw<{ rows: RunRow[] }>(
      `
      INSERT INTO refork_runs
        (id, pipeline, kind, status, state, snapshot, machine_version, lease_owner, lease_token, lease_expires_at)
      VALUES
        (:id, :pipeline, :kind, 'active', :state, CAST(:snapshot AS jsonb), :machineVersion, :owner, 1,
         now() + CAST(:ttl AS double precision) * interval '1 millisecond')
      RETURNING *
      `,
      {
        id: run.id,
        pipeline: run.pipeline,
        kind: run.kind ?? 'refresh',
        state: run.state,
        snapshot: toJsonb(run.snapshot),
        machineVersion: run.machineVersion,
        owner: run.owner,
        ttl,
      },
    );
    const [row] = result.rows;
    if (!row) throw new Error(`inserting run ${run.id} returned no row`);
    await insertEvent(trx, {
      runId: row.id,
      type: 'run.started',
      from: null,
      to: row.state,
      detail: {
        owner: run.owner,
        machineVersion: run.machineVersion,
        kind: run.kind ?? 'refresh',
        ...(run.trigger ? { trigger: run.trigger } : {}),
      },
    });
    return { started: true, run: runFromRow(row), lease: leaseFromRow(row) };
  });
}

/** A unique violation (SQLSTATE 23505) on the named constraint or index. */
function violates(error: unknown, constraint: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return 'code' in error && error.code === '23505' && 'constraint' in error && error.constraint === constraint;
}

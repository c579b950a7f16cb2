// One row per refresh run: where the machine is (state + persisted snapshot), who holds the
// lease (owner, fencing token, database-clock expiry) and how it ended.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE refork_runs (
      id                 uuid PRIMARY KEY,
      pipeline           text NOT NULL,
      status             text NOT NULL CHECK (status IN ('active', 'succeeded', 'failed', 'aborted')),
      state              text NOT NULL,
      snapshot           jsonb NOT NULL,
      machine_version    integer NOT NULL,
      lease_owner        text,
      lease_token        bigint NOT NULL DEFAULT 0,
      lease_expires_at   timestamptz,
      abort_requested_at timestamptz,
      error              text,
      created_at         timestamptz NOT NULL DEFAULT now(),
      updated_at         timestamptz NOT NULL DEFAULT now(),
      finished_at        timestamptz
    )
  `);
  // Invariant 5 (docs/design.md#invariants): at most one active run per pipeline. startRun relies on this index's name.
  await knex.raw(`
    CREATE UNIQUE INDEX refork_runs_one_active_per_pipeline
      ON refork_runs (pipeline) WHERE status = 'active'
  `);
  await knex.raw(`
    CREATE INDEX refork_runs_pipeline_created_at
      ON refork_runs (pipeline, created_at DESC)
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE refork_runs');
}

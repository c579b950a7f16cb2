// The rollback window (docs/rollback.md): runs have a kind (a refresh, or a rollback that
// promotes the previous database back), and the database a refresh replaced, when kept, is a
// row here from the moment it is kept until it is destroyed or promoted back.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Both kinds share the runs table, its lease and fencing, and its one-active-run-per-pipeline index.
  await knex.raw(`ALTER TABLE refork_runs ADD COLUMN kind text NOT NULL DEFAULT 'refresh' CHECK (kind IN ('refresh', 'rollback'))`);
  await knex.raw(`
    CREATE TABLE refork_previous_databases (
      id            bigserial PRIMARY KEY,
      pipeline      text NOT NULL,
      addon_id      text NOT NULL,
      addon_name    text NOT NULL,
      -- The billing (owner) app, and the target it is kept on under REFORK_PREVIOUS.
      owner_app     text NOT NULL,
      target_app    text NOT NULL,
      -- false: not refork's to destroy (owned by another app); it is detached instead.
      may_destroy   boolean NOT NULL,
      -- The run that kept it (a refresh, or a rollback that kept the database it rolled back from).
      run_id        uuid NOT NULL REFERENCES refork_runs (id) ON DELETE CASCADE,
      kept_since    timestamptz NOT NULL DEFAULT now(),
      kept_until    timestamptz NOT NULL,
      -- kept -> restoring (a rollback has it) -> restored | kept (the rollback gave it back);
      -- kept -> destroying (window over, or replaced by a newer previous) -> destroyed.
      state         text NOT NULL DEFAULT 'kept' CHECK (state IN ('kept', 'restoring', 'restored', 'destroying', 'destroyed')),
      reason        text CHECK (reason IN ('expired', 'replaced')),
      rollback_run  uuid REFERENCES refork_runs (id) ON DELETE SET NULL,
      updated_at    timestamptz NOT NULL DEFAULT now(),
      UNIQUE (run_id, addon_id)
    )
  `);
  // Never more than one previous database per pipeline: one that is kept, being rolled back to, or on its way out.
  await knex.raw(`
    CREATE UNIQUE INDEX refork_previous_one_per_pipeline
      ON refork_previous_databases (pipeline) WHERE state IN ('kept', 'restoring', 'destroying')
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE refork_previous_databases');
  await knex.raw('ALTER TABLE refork_runs DROP COLUMN kind');
}

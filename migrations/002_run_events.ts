// Append-only history of a run: one row per transition, lease change and side effect.
// `seq` numbers a run's events 1, 2, 3, … with no gaps (see src/store/insertEvent.ts).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE refork_run_events (
      id         bigserial PRIMARY KEY,
      run_id     uuid NOT NULL REFERENCES refork_runs (id) ON DELETE CASCADE,
      seq        integer NOT NULL,
      from_state text,
      to_state   text,
      type       text NOT NULL,
      detail     jsonb NOT NULL DEFAULT '{}',
      at         timestamptz NOT NULL DEFAULT now(),
      UNIQUE (run_id, seq)
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE refork_run_events');
}

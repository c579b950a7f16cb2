// What a run's steps learned that its record (`refork report`) needs and its event log should
// not carry: one JSON document per kind of fact (`anonymize`: a row per table; `verify`: a row
// per gate), written in the same fenced transaction as the transition of the step that learned
// it. A step tried again replaces its kind's document. It outlives the fork: the control
// database is the only place the record of a refresh is kept.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE refork_run_facts (
      run_id      uuid NOT NULL REFERENCES refork_runs (id) ON DELETE CASCADE,
      kind        text NOT NULL,
      facts       jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, kind)
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE refork_run_facts');
}

// A run that waits (for its fork, for a retry) holds no process: its row says when it is next
// due, on the database clock. NULL means due now. Workers take the active runs that are due
// and unleased; `refork abort` makes a run due at once.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE refork_runs ADD COLUMN not_before timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE refork_runs DROP COLUMN not_before');
}

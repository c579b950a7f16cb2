// The notices a run owes (its end; once, that it is stuck), kept as an outbox: a notice is
// recorded before it is sent and marked when the webhook took it, so a process killed in
// between leaves it to the next one (sent again with the same id) instead of losing it or
// sending it from every process that sees the run (docs/design.md#notifications).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE refork_notifications (
      id              uuid PRIMARY KEY,
      run_id          uuid NOT NULL REFERENCES refork_runs (id) ON DELETE CASCADE,
      kind            text NOT NULL,
      state           text NOT NULL,
      error           text,
      elapsed_ms      bigint NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT now(),
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      attempts        integer NOT NULL DEFAULT 0,
      delivered_at    timestamptz,
      gave_up_at      timestamptz,
      UNIQUE (run_id, kind)
    )
  `);
  await knex.raw(`
    CREATE INDEX refork_notifications_owed ON refork_notifications (next_attempt_at)
     WHERE delivered_at IS NULL AND gave_up_at IS NULL
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE refork_notifications');
}

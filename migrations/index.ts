// The control tables' migrations, imported statically so that running them needs no
// directory globbing or TypeScript loader at run time. Forward-only: append, never edit.
import type { Knex } from 'knex';
import * as runs from './001_runs.js';
import * as runEvents from './002_run_events.js';
import * as dueRuns from './003_due_runs.js';
import * as notifications from './004_notifications.js';
import * as rollback from './005_rollback.js';
import * as runFacts from './006_run_facts.js';

interface NamedMigration {
  name: string;
  migration: Knex.Migration;
}

/** In order. A name, once released, never changes: it is the key in `refork_migrations`. */
export const migrations: readonly NamedMigration[] = [
  { name: '001_runs', migration: runs },
  { name: '002_run_events', migration: runEvents },
  { name: '003_due_runs', migration: dueRuns },
  { name: '004_notifications', migration: notifications },
  { name: '005_rollback', migration: rollback },
  { name: '006_run_facts', migration: runFacts },
];

export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (entry) => entry.name,
  getMigration: async (entry) => entry.migration,
};

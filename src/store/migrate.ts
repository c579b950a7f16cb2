// Brings the control tables up to date, safely when several processes (two ticks, a release
// phase and a worker) do it at once, and without leaving a stuck lock when one is killed.
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations/index.js';

/** Our own bookkeeping tables, so an application's `knex_migrations` in the same database is never touched. */
export const MIGRATIONS_TABLE = 'refork_migrations';
const MIGRATIONS_LOCK_TABLE = `${MIGRATIONS_TABLE}_lock`;

// Any fixed 64-bit key: it only has to differ from other advisory locks in the database.
const MIGRATE_ADVISORY_KEY = 'refork.migrate';

const config: Knex.MigratorConfig = { migrationSource, tableName: MIGRATIONS_TABLE };

export interface MigrateResult {
  /** Names of the migrations this call applied (empty when already up to date). */
  applied: string[];
}

/**
 * Applies every pending migration in ONE transaction that first takes a transaction-level
 * advisory lock. Concurrent callers queue on that lock (knex's own creation of its
 * bookkeeping tables is not safe to race), and a process killed half-way rolls back
 * everything including knex's lock row, so the next caller never sees "already locked".
 */
export async function migrateToLatest(knex: Knex): Promise<MigrateResult> {
  try {
    return await knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [MIGRATE_ADVISORY_KEY]);
      const [, log] = (await trx.migrate.latest(config)) as [number, string[]];
      return { applied: log };
    });
  } catch (error) {
    if (error instanceof Error && /Migration table is already locked/.test(error.message)) {
      throw new Error(
        `refork's migration lock (${MIGRATIONS_LOCK_TABLE}) is held, left by an interrupted non-transactional migration; ` +
          'if no other migration is running, run `refork migrate --unlock` and retry',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Migration names not applied yet, for `refork migrate --status` and start-up checks. */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(config)) as [unknown[], { name: string }[]];
  return pending.map((entry) => entry.name);
}

/**
 * Clears knex's migration lock row. Only for an explicit operator flag (`refork migrate
 * --unlock`): with transactional migrations the lock cannot outlive its process, so a set
 * lock means either a live migration (do not unlock) or one run outside a transaction.
 */
export async function forceFreeMigrationLock(knex: Knex): Promise<void> {
  await knex.migrate.forceFreeMigrationsLock(config);
}

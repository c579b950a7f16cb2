import { readControlDatabaseUrl } from '../../config/environment.js';
import { createKnex, forceFreeMigrationLock, migrateToLatest } from '../../store/index.js';

/** `refork migrate [--unlock]`: create or update the control tables (Heroku release phase, or by hand). */
export async function migrateCommand(options: { unlock?: boolean } = {}): Promise<number> {
  const knex = createKnex(readControlDatabaseUrl());
  try {
    // Only on request: freeing the lock while another migration runs would let two run at once.
    if (options.unlock) await forceFreeMigrationLock(knex);
    const { applied } = await migrateToLatest(knex);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'control tables are up to date');
    return 0;
  } finally {
    await knex.destroy();
  }
}

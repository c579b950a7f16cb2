import { readControlDatabaseUrl } from '../../config/environment.js';
import { createKnex, migrateToLatest } from '../../store/index.js';

/** `refork migrate`: create or update the control tables (Heroku release phase, or by hand). */
export async function migrateCommand(): Promise<number> {
  const knex = createKnex(readControlDatabaseUrl());
  try {
    await migrateToLatest(knex);
    console.log('control tables are up to date');
    return 0;
  } finally {
    await knex.destroy();
  }
}

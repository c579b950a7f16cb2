import { afterEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createKnex, forceFreeMigrationLock, migrateToLatest, pendingMigrations } from '../../src/store/index.js';
import { migrations } from '../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

const opened: { db: TestDatabase; knex: Knex }[] = [];

async function freshDatabase(): Promise<Knex> {
  return (await freshDatabaseWithUrl()).knex;
}

async function freshDatabaseWithUrl(): Promise<{ knex: Knex; url: string }> {
  const db = await createTestDatabase('migrate');
  const knex = createKnex(db.url);
  opened.push({ db, knex });
  return { knex, url: db.url };
}

async function tableNames(knex: Knex): Promise<string[]> {
  const result = await knex.raw<{ rows: { table_name: string }[] }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

afterEach(async () => {
  for (const { db, knex } of opened.splice(0)) {
    await knex.destroy();
    await db.drop();
  }
});

describe('migrateToLatest', () => {
  it('creates the control tables on a fresh database', async () => {
    const knex = await freshDatabase();
    const result = await migrateToLatest(knex);
    expect(result.applied).toEqual(migrations.map((entry) => entry.name));
    expect(await tableNames(knex)).toEqual(
      expect.arrayContaining(['refork_runs', 'refork_run_events', 'refork_migrations', 'refork_migrations_lock']),
    );
  });

  it('does nothing when run a second time', async () => {
    const knex = await freshDatabase();
    await migrateToLatest(knex);
    const second = await migrateToLatest(knex);
    expect(second.applied).toEqual([]);
    expect(await pendingMigrations(knex)).toEqual([]);
  });

  it('applies each migration once when several processes migrate a fresh database at once', async () => {
    const { knex, url } = await freshDatabaseWithUrl();
    const others = Array.from({ length: 3 }, () => createKnex(url));
    try {
      const results = await Promise.all([knex, ...others].map((each) => migrateToLatest(each)));
      const applied = results.flatMap((result) => result.applied);
      expect(applied.sort()).toEqual(migrations.map((entry) => entry.name).sort());
    } finally {
      await Promise.all(others.map((each) => each.destroy()));
    }
  });

  it('does not touch an application’s own knex_migrations table', async () => {
    const knex = await freshDatabase();
    await knex.raw('CREATE TABLE knex_migrations (id serial primary key, name text)');
    await knex.raw(`INSERT INTO knex_migrations (name) VALUES ('20200101_app_users')`);
    await migrateToLatest(knex);
    const result = await knex.raw<{ rows: { name: string }[] }>('SELECT name FROM knex_migrations');
    expect(result.rows).toEqual([{ name: '20200101_app_users' }]);
  });

  it('reports a leftover migration lock with the command that clears it', async () => {
    const knex = await freshDatabase();
    await migrateToLatest(knex);
    await knex.raw('UPDATE refork_migrations_lock SET is_locked = 1');
    await knex.raw(`DELETE FROM refork_migrations WHERE name = '002_run_events'`);
    await knex.raw('DROP TABLE refork_run_events');
    await expect(migrateToLatest(knex)).rejects.toThrow(/refork migrate --unlock/);
  });

  it('migrates again once the leftover lock is force-freed', async () => {
    const knex = await freshDatabase();
    await migrateToLatest(knex);
    await knex.raw('UPDATE refork_migrations_lock SET is_locked = 1');
    await knex.raw(`DELETE FROM refork_migrations WHERE name = '002_run_events'`);
    await knex.raw('DROP TABLE refork_run_events');
    await forceFreeMigrationLock(knex);
    expect((await migrateToLatest(knex)).applied).toEqual(['002_run_events']);
  });
});

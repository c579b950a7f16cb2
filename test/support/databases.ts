// Each test gets databases of its own on the suite's server, so files can run in parallel.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { adminQuery, databaseUrl } from './postgres.js';

export { adminQuery, databaseUrl };

export function serverUrl(): string {
  return inject('postgresUrl');
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const server = serverUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  return {
    name,
    url: databaseUrl(server, name),
    drop: async () => {
      await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

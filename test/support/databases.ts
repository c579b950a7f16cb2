// Each test gets databases of its own on the suite's server, so files can run in parallel.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function serverUrl(): string {
  return inject('postgresUrl');
}

export function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
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

export async function adminQuery(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

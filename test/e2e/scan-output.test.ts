// A big schema's `refork scan --json` through a pipe arrives whole: the CLI waits for stdout to
// drain before it exits (Lago's 139 tables gave 620 kB, cut short at 438 kB before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/databases.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('bigscan');
  await adminQuery(
    database.url,
    `DO $$ BEGIN FOR i IN 1..800 LOOP
       EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, email text, note text, created_at timestamptz)', 'table_with_a_long_name_' || i);
     END LOOP; END $$`,
  );
});
afterAll(async () => {
  await database.drop();
});

describe('refork scan --json on a big schema', () => {
  it('prints the whole report, however big, before exiting', async () => {
    const result = await runCli(['scan', '--url', database.url, '--json'], { PATH: process.env.PATH, HOME: process.env.HOME });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(600_000);
    const report = JSON.parse(result.stdout) as { columns: unknown[] };
    expect(report.columns).toHaveLength(3200);
  });
});

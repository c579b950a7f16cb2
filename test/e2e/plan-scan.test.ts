// `refork plan` and `refork scan` read production (through its config var, or a URL) and write
// nothing: no add-on, no row changed, no sampled value printed.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function prodQuery<T extends pg.QueryResultRow>(w: World, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: w.sim.databaseUrl(w.prodAddon) });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const fingerprint = (w: World) =>
  prodQuery<{ f: string }>(w, "SELECT md5(string_agg(c::text, ',' ORDER BY id)) AS f FROM customers c").then((rows) => rows[0]?.f);

describe('refork plan', () => {
  it("prints each table's action and statement for the source database and changes nothing", async () => {
    world = await createWorld();
    const before = { rows: await fingerprint(world), addons: world.sim.addons().length };
    const result = await world.cli(['plan', 'staging']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/plan for staging against acme-prod::DATABASE/);
    expect(result.stdout).toMatch(/^update\s+public\.customers .*email: email/m);
    expect(result.stdout).toMatch(/^truncate\s+public\.sessions/m);
    expect(result.stdout).toMatch(/UPDATE ONLY "public"\."customers"/);
    expect(result.stdout).not.toMatch(/UNCOVERED/);
    expect({ rows: await fingerprint(world), addons: world.sim.addons().length }).toEqual(before);
  });

  it('exits 1 on a column added since the rules were written, with the rule to add', async () => {
    world = await createWorld();
    await prodQuery(world, 'ALTER TABLE customers ADD COLUMN nickname text');
    const result = await world.cli(['plan', 'staging', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      uncovered: Array<{ table: string; columns: string[] }>;
      suggestedPatch: string;
    };
    expect(report.ok).toBe(false);
    expect(report.uncovered).toEqual([{ table: 'public.customers', columns: ['nickname'] }]);
    expect(report.suggestedPatch).toMatch(/nickname/);
  });

  it('previews masked rows that hold none of the original values', async () => {
    world = await createWorld();
    const originals = await prodQuery<{ email: string }>(world, 'SELECT email FROM customers');
    const result = await world.cli(['plan', 'staging', '--preview', '3', '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { tables: Array<{ table: string; preview?: Array<{ email?: string }> }> };
    const preview = report.tables.find((table) => table.table === 'public.customers')?.preview ?? [];
    expect(preview).toHaveLength(3);
    for (const row of preview) {
      expect(row.email).toMatch(/@/);
      expect(originals.map((o) => o.email)).not.toContain(row.email);
    }
  });
});

describe('refork scan', () => {
  it('proposes rules from names and values, printing no sampled value', async () => {
    world = await createWorld();
    const url = world.sim.databaseUrl(world.prodAddon);
    const result = await world.cli(['scan', '--url', url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^anonymize:/);
    expect(result.stdout).toMatch(/"email": email/);
    expect(result.stderr).toMatch(/scanned \d+ columns of postgres(ql)?:\/\/[^@]*\*\*\*@/);
    const originals = await prodQuery<{ email: string; full_name: string }>(world, 'SELECT email, full_name FROM customers');
    for (const { email, full_name } of originals) {
      expect(result.stdout + result.stderr).not.toContain(email);
      expect(result.stdout + result.stderr).not.toContain(full_name);
    }
  });

  it('reads the source database of a named pipeline', async () => {
    world = await createWorld();
    const result = await world.cli(['scan', 'staging', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      database: string;
      columns: Array<{ table: string; column: string; suggestion: { pii: boolean } }>;
    };
    expect(report.database).toBe('acme-prod::DATABASE');
    expect(report.columns.find((c) => c.table === 'public.customers' && c.column === 'email')?.suggestion.pii).toBe(true);
  });

  it('refuses a URL that is not a database URL with one line', async () => {
    world = await createWorld();
    const result = await world.cli(['scan', '--url', 'http://example.com']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'refork: --url is not a postgres:// URL: pass the database URL, e.g. postgres://host:5432/db',
    ]);
  });
});

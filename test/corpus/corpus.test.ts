// The CI-sized part of the corpus run (npm run corpus runs every schema with more rows): the two
// schemas that come from the npm registry, which `npm ci` reaches already, and the schema of our
// own, through the whole refresh; and checks that the corpus machinery itself can fail (the
// filler fills the tables, the leak counter finds every personal value it recorded). A package
// that cannot be downloaded fails the suite with one line naming it; nothing is skipped.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, serverUrl } from '../support/databases.js';
import { materialize } from './download.js';
import { fillDatabase } from './fill.js';
import { findLeaks } from './inspect.js';
import { copyBlocksAsInserts, dropRoles, loadSchema } from './load.js';
import { schemaNamed } from './manifest.js';
import { refreshSchema } from './refresh.js';
import { loadTruth } from './truth.js';

const CI_SCHEMAS = ['logto', 'pg-boss', 'refork-crm'];
const CI_ROWS = 12;

beforeAll(async () => {
  for (const name of CI_SCHEMAS) await materialize(schemaNamed(name).source, name);
}, 300_000);

describe('the corpus machinery', () => {
  it.each(CI_SCHEMAS)(
    'fills the tables of %s, and the leak counter finds every personal value it wrote',
    async (name) => {
      const database = await createTestDatabase(`corpus_${name.replaceAll('-', '_')}`);
      const roles: string[] = [];
      try {
        await loadSchema(database.url, schemaNamed(name), (created) => roles.push(...created));
        const fill = await fillDatabase(database.url, await loadTruth(name), CI_ROWS);
        // Logto's tables whose CHECK calls a function over other tables' rows stay empty (a handful).
        const filled = fill.tables.filter((table) => table.rows > 0);
        expect(filled.length / fill.tables.length).toBeGreaterThan(0.9);
        expect(fill.personal.countedValues).toBeGreaterThan(CI_ROWS * 3);
        // Production itself is the worst "promoted" database: every value it holds must be found.
        const leaks = await findLeaks(database.url, database.url, fill.personal, fill.rowCompared);
        expect(leaks.tokenValues).toBe(fill.personal.countedValues);
        // Dates, numbers and bytea are found by comparing rows, on top of the tokens; pg-boss's
        // personal columns are all jsonb, so there it finds the tokens alone.
        const rowCompared = [...fill.rowCompared.values()].flat().length;
        expect({ rowCompared: rowCompared > 0, beyondTokens: leaks.leakedValues > leaks.tokenValues }).toEqual({
          rowCompared: rowCompared > 0,
          beyondTokens: rowCompared > 0,
        });
        expect(leaks.leakedValues).toBeGreaterThanOrEqual(leaks.tokenValues);
      } finally {
        await database.drop();
        await dropRoles(serverUrl(), roles);
      }
    },
    180_000,
  );

  it('runs the rows psql would feed to COPY FROM stdin as INSERTs of the same values', () => {
    const sql =
      "CREATE TABLE t (a text, b int);\nCOPY t (a, b) FROM stdin WITH DELIMITER '|';\nit's|1\n\\N|2\ntab\\there|3\n\\.\nSELECT 1;";
    expect(copyBlocksAsInserts(sql)).toBe(
      "CREATE TABLE t (a text, b int);\nINSERT INTO t (a, b) VALUES\n('it''s', '1'),\n(NULL, '2'),\n('tab\there', '3');\nSELECT 1;",
    );
  });
});

describe('the corpus, CI-sized', () => {
  it.each(CI_SCHEMAS)(
    '%s: scan, the proposal as it is, plan, a whole refresh; staging holds no original personal value and production’s structure',
    async (name) => {
      const outcome = await refreshSchema(schemaNamed(name), { server: serverUrl(), rows: CI_ROWS });
      expect({ failures: outcome.failures, leaks: outcome.leaks, structure: outcome.structure }).toEqual({
        failures: [],
        leaks: [],
        structure: [],
      });
      expect(outcome.run?.ok).toBe(true);
      const scan = outcome.scan;
      expect(scan && scan.truePositives / scan.truth).toBeGreaterThanOrEqual(0.9);
      expect(scan && scan.truePositives / (scan.flagged || 1)).toBeGreaterThanOrEqual(0.8);
    },
    300_000,
  );
});

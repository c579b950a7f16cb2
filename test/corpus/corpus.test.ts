// The CI-sized part of the corpus run (npm run corpus runs every schema with more rows): two
// public schemas through the whole refresh, and checks that the corpus machinery itself can
// fail (the filler fills every table, the leak counter finds every personal value it recorded).
import { describe, expect, it } from 'vitest';
import { createTestDatabase, serverUrl } from '../support/databases.js';
import { fillDatabase } from './fill.js';
import { findLeaks } from './inspect.js';
import { loadSchema } from './load.js';
import { CORPUS } from './manifest.js';
import { refreshSchema } from './refresh.js';
import { loadTruth } from './truth.js';

const CI_SCHEMAS = ['pagila', 'supabase'];
const CI_ROWS = 12;

function schemaNamed(name: string) {
  const schema = CORPUS.find((candidate) => candidate.name === name);
  if (!schema) throw new Error(`no corpus schema ${name}`);
  return schema;
}

describe('the corpus machinery', () => {
  it.each(CI_SCHEMAS)(
    'fills the tables of %s, and the leak counter finds every personal value it wrote',
    async (name) => {
      const database = await createTestDatabase(`corpus_${name}`);
      try {
        const schema = schemaNamed(name);
        await loadSchema(database.url, schema);
        const fill = await fillDatabase(database.url, await loadTruth(name), CI_ROWS);
        // Supabase's custom_oauth_providers needs a coherent set of URLs per provider type (three
        // interlocking checks): the one table the filler leaves empty.
        const filled = fill.tables.filter((table) => table.rows > 0);
        expect(filled.length / fill.tables.length).toBeGreaterThan(0.95);
        expect(fill.personal.countedValues).toBeGreaterThan(CI_ROWS * 5);
        // Production itself is the worst "promoted" database: every value it holds must be found.
        const leaks = await findLeaks(database.url, database.url, fill.personal, fill.rowCompared);
        expect(leaks.tokenValues).toBe(fill.personal.countedValues);
        expect(leaks.leakedValues).toBeGreaterThan(leaks.tokenValues);
      } finally {
        await database.drop();
      }
    },
    180_000,
  );
});

describe('the corpus, CI-sized', () => {
  it.each(CI_SCHEMAS)(
    '%s: scan, the proposal as it is, plan, a whole refresh; staging holds no original personal value and production’s structure',
    async (name) => {
      const outcome = await refreshSchema(schemaNamed(name), { server: serverUrl(), rows: CI_ROWS });
      expect(outcome.scan?.missed).toEqual([]);
      expect((outcome.scan?.truePositives ?? 0) / (outcome.scan?.flagged || 1)).toBeGreaterThanOrEqual(0.8);
      expect({ failures: outcome.failures, leaks: outcome.leaks, structure: outcome.structure }).toEqual({
        failures: [],
        leaks: [],
        structure: [],
      });
      expect(outcome.run?.ok).toBe(true);
    },
    300_000,
  );
});

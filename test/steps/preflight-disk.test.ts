// Preflight weighs the fork plan's disk before anything is created (docs/disk.md): a source that
// the plan cannot hold is refused in one line naming a plan that can; a masking peak that would
// not fit is a warning, with the sizes, and the run goes ahead. The source's size is what the
// simulator's data API reports for the real database behind it, as Heroku's does (`num_bytes`).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/anonymize/index.js';
import { createHerokuClient } from '../../src/heroku/client.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/runner/clock.js';
import { toStepFailure } from '../../src/runner/failure.js';
import { createEffects } from '../../src/steps/index.js';
import type { StepDeps } from '../../src/steps/deps.js';
import type { Effects, StepContext } from '../../src/steps/types.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { adminQuery, serverUrl } from '../support/databases.js';

const TOKEN = 'preflight-disk-token';
const ctx: StepContext = { signal: new AbortController().signal, logger: silentLogger() };
const input = { sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-staging' };
const RULES = { tables: { people: { columns: { id: 'safe', email: 'email', note: 'safe' } } } };
let sim: Simulator;
let sourceBytes: number;

beforeEach(async () => {
  sim = await startSimulator({ postgresUrl: serverUrl(), token: TOKEN, provisionDelayMs: 20, dataApi404Ms: 0, waitingMs: 0 });
  sim.createApp('acme-prod');
  sim.createApp('acme-staging');
  const prod = await sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'prod-db' });
  await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'old-db' });
  const prodUrl = sim.databaseUrl(prod.name);
  await adminQuery(
    prodUrl,
    `CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE, note text);
     INSERT INTO people SELECT i, 'p' || i || '@mail.example.com', repeat('n', 200) FROM generate_series(1, 20000) i;
     ANALYZE people`,
  );
  const size = await adminQuery(prodUrl, 'SELECT pg_database_size(current_database())::text AS bytes');
  sourceBytes = Number((size.rows[0] as { bytes: string }).bytes);
});
afterEach(async () => {
  await sim.close();
});

function effects(disk: StepDeps['disk']): Effects {
  return createEffects({
    heroku: createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } }),
    clock: systemClock,
    boundary: () => {},
    rules: parseRules(RULES, 'anonymize'),
    anonymizeKey: 'k'.repeat(32),
    controlDatabaseUrl: 'postgres://control.invalid/control',
    ...(disk ? { disk } : {}),
    polling: { minMs: 10, maxMs: 50, notFoundLimit: 5, releaseTimeoutMs: 5_000 },
  });
}

describe('preflight, the fork plan against the data', () => {
  it('reads the source size from the data API, and passes a plan with room for the data and the masking peak', async () => {
    const found = await effects({ plan: 'heroku-postgresql:standard-0' }).preflight(input, ctx);
    expect(found.disk).toMatchObject({ storageBytes: 64 * 1024 ** 3 });
    // The data API's figure is the database's own size, measured when asked (a little drifts: stats, catalogs).
    expect(found.disk?.sourceBytes).toBeGreaterThan(sourceBytes * 0.9);
    expect(found.disk?.sourceBytes).toBeLessThan(sourceBytes * 1.1);
    expect(found.disk?.peakBytes).toBeGreaterThan(1_000_000);
    expect(found.disk?.warning).toBeUndefined();
  });

  it('refuses a source bigger than the plan (its storage from the config here) in one line naming the fix, before anything is created', async () => {
    const addons = sim.events.filter((event) => event.type === 'addon.created').length;
    let failure;
    try {
      await effects({ plan: 'heroku-postgresql:premium-0', storageBytes: 1_000_000 }).preflight(input, ctx);
    } catch (error) {
      failure = toStepFailure(error, 'preflight', 0);
    }
    expect(failure).toMatchObject({ code: 'fork_plan_too_small', retryable: false });
    expect(failure?.message).toMatch(
      /^source prod-db holds [\d.]+ MB, more than the 976.6 kB of the fork plan heroku-postgresql:premium-0: Heroku's plan list gives heroku-postgresql:premium-0 64 GB: correct disk.storage_gb in refork.yml, or choose a larger plan$/,
    );
    expect(sim.events.filter((event) => event.type === 'addon.created')).toHaveLength(addons);
  });

  it('warns, with the sizes and the way out, when masking would not fit the room the data leaves, and goes ahead', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ stream });
    const found = await effects({ plan: 'heroku-postgresql:standard-0', storageBytes: sourceBytes * 1.1 }).preflight(input, {
      ...ctx,
      logger,
    });
    expect(found.disk?.roomBytes).toBeLessThan(found.disk?.peakBytes ?? 0);
    expect(found.disk?.warning).toMatch(
      /^masking's peak \([\d.]+ MB at public.people\) would not fit the [\d.]+ kB the fork has left: refork masks what does not fit in stripes, slower; plan heroku-postgresql:standard-0 \(64 GB\) fits it/,
    );
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'warn');
    expect(logged).toEqual([expect.objectContaining({ message: 'disk', warning: found.disk?.warning })]);
  });

  it('says when it cannot know the plan storage, and checks nothing it cannot', async () => {
    const found = await effects({ plan: 'heroku-postgresql:standard-10' }).preflight(input, ctx);
    expect(found.disk).toEqual({
      warning: 'refork does not know the storage of plan heroku-postgresql:standard-10: set disk.storage_gb in refork.yml to check it',
    });
  });
});

// Preflight weighs the fork plan's disk before anything is created (docs/disk.md): a source that
// the plan cannot hold is refused in one line naming the fix; a masking peak that would not fit is
// a warning, with the sizes, and the run goes ahead. The source's size is what the simulator's
// data API reports for the real database behind it, as Heroku's does (`num_bytes`).
import { afterEach, describe, expect, it } from 'vitest';
import { toStepFailure } from '../../src/runner/failure.js';
import type { StepDeps } from '../../src/steps/deps.js';
import { adminQuery } from '../support/databases.js';
import { capturedLog } from '../support/log.js';
import { startStepsWorld, type StepsWorld } from './fixture.js';

// No fork app: the fork lives on the target (its own checks are test/steps/fork-app.test.ts's).
const input = { sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-staging', forkApp: 'acme-staging' };
const SEED = `CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE, note text);
  INSERT INTO people SELECT i, 'p' || i || '@mail.example.com', repeat('n', 200) FROM generate_series(1, 20000) i;
  ANALYZE people`;
let world: StepsWorld | undefined;
afterEach(async () => {
  await world?.sim.close();
  world = undefined;
});

/** A world whose production holds `people`, with the fork plan's disk as given; and production's size. */
async function startWith(disk: StepDeps['disk']): Promise<{ world: StepsWorld; sourceBytes: number }> {
  world = await startStepsWorld({
    rules: { tables: { people: { columns: { id: 'safe', email: 'email', note: 'safe' } } } },
    disk,
    seed: SEED,
  });
  const size = await adminQuery(world.sim.databaseUrl('prod-db'), 'SELECT pg_database_size(current_database())::text AS bytes');
  return { world, sourceBytes: Number((size.rows[0] as { bytes: string }).bytes) };
}

describe('preflight, the fork plan against the data', () => {
  it('reads the source size from the data API, and passes a plan with room for the data and the masking peak', async () => {
    const { world, sourceBytes } = await startWith({ plan: 'heroku-postgresql:standard-0' });
    const found = await world.effects.preflight(input, world.ctx);
    expect(found.disk).toMatchObject({ storageBytes: 64 * 1024 ** 3 });
    // The data API's figure is the database's own size, measured when asked (a little drifts: stats, catalogs).
    expect(found.disk?.sourceBytes).toBeGreaterThan(sourceBytes * 0.9);
    expect(found.disk?.sourceBytes).toBeLessThan(sourceBytes * 1.1);
    expect(found.disk?.peakBytes).toBeGreaterThan(1_000_000);
    expect(found.disk?.warning).toBeUndefined();
  });

  it('refuses a source bigger than the plan (its storage from the config here) in one line naming the fix, before anything is created', async () => {
    const { world } = await startWith({ plan: 'heroku-postgresql:premium-0', storageBytes: 1_000_000 });
    const addons = world.sim.events.filter((event) => event.type === 'addon.created').length;
    let failure;
    try {
      await world.effects.preflight(input, world.ctx);
    } catch (error) {
      failure = toStepFailure(error, 'preflight', 0);
    }
    expect(failure).toMatchObject({ code: 'fork_plan_too_small', retryable: false });
    expect(failure?.message).toMatch(
      /^source prod-db holds [\d.]+ MB, more than the 976.6 kB of the fork plan heroku-postgresql:premium-0: Heroku's plan list gives heroku-postgresql:premium-0 64 GB: correct disk.storage_gb in refork.yml, or choose a larger plan$/,
    );
    expect(world.sim.events.filter((event) => event.type === 'addon.created')).toHaveLength(addons);
    expect(world.mutations).toEqual([]);
  });

  it('warns, with the sizes and the way out, when masking would not fit the room the data leaves, and goes ahead', async () => {
    const log = capturedLog();
    const probe = await startWith({ plan: 'heroku-postgresql:standard-0' });
    await probe.world.sim.close();
    const { world } = await startWith({ plan: 'heroku-postgresql:standard-0', storageBytes: probe.sourceBytes * 1.1 });
    const found = await world.effects.preflight(input, { ...world.ctx, logger: log.logger });
    expect(found.disk?.roomBytes).toBeLessThan(found.disk?.peakBytes ?? 0);
    expect(found.disk?.warning).toMatch(
      /^masking's peak \([\d.]+ MB at public.people\) would not fit the [\d.]+ kB the fork has left: refork masks what does not fit in stripes, slower; plan heroku-postgresql:standard-0 \(64 GB\) fits it/,
    );
    const logged = log.entries().filter((line) => line.level === 'warn');
    expect(logged).toEqual([expect.objectContaining({ message: 'disk', warning: found.disk?.warning })]);
  });

  it('says when it cannot know the plan storage, and checks nothing it cannot', async () => {
    const { world } = await startWith({ plan: 'heroku-postgresql:standard-10' });
    const found = await world.effects.preflight(input, world.ctx);
    expect(found.disk).toEqual({
      warning: 'refork does not know the storage of plan heroku-postgresql:standard-10: set disk.storage_gb in refork.yml to check it',
    });
  });
});

// Each effect alone, with the real Heroku client against the in-process simulator: what it
// reads first, what it refuses, and that running it twice changes nothing the second time.
// Forks here live on the target (no fork app); fork-app.test.ts covers the private fork app.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Effects, StepContext } from '../../src/steps/types.js';
import type { Simulator } from '../../src/sim/index.js';
import { startStepsWorld, type StepsWorld } from './fixture.js';

let world: StepsWorld;
let sim: Simulator;
let effects: Effects;
let mutations: string[];
let ctx: StepContext;
beforeEach(async () => {
  world = await startStepsWorld();
  ({ sim, effects, mutations, ctx } = world);
});
afterEach(async () => {
  await sim.close();
});

const availableFork = () => world.availableFork();
const databaseOf = (app: string) => world.databaseOf(app);
const STAGING = { app: 'acme-staging', forkApp: 'acme-staging' };

describe('preflight', () => {
  it('resolves the source and the target database without changing anything', async () => {
    const found = await effects.preflight(
      { sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-staging', forkApp: 'acme-staging' },
      ctx,
    );
    expect(found.source).toMatchObject({ name: 'prod-db', app: 'acme-prod' });
    expect(found.oldDatabase).toMatchObject({ name: 'old-db', app: 'acme-staging' });
    expect(mutations).toEqual([]);
  });

  it("refuses a target whose DATABASE is production's database", async () => {
    sim.createApp('acme-review');
    sim.attach('prod-db', 'acme-review', 'DATABASE');
    await expect(
      effects.preflight({ sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-review', forkApp: 'acme-review' }, ctx),
    ).rejects.toThrow(/would replace production's database/);
  });
});

describe('createFork', () => {
  it('adopts the fork its name already names instead of creating a second one', async () => {
    const first = await availableFork();
    const again = await effects.createFork(
      {
        app: 'acme-staging',
        name: first.name,
        attachmentName: 'REFORK_AAAAAAAA',
        plan: 'heroku-postgresql:standard-0',
        forkFrom: 'prod-db',
        fast: false,
      },
      ctx,
    );
    expect(again).toEqual(first);
    expect(mutations).toEqual(['createAddon']);
    expect(sim.events.filter((e) => e.type === 'addon.created' && e.addon?.name === first.name)).toHaveLength(1);
  });

  it('attaches the fork under its own name, never as DATABASE', async () => {
    await availableFork();
    expect(databaseOf('acme-staging')).toBe('old-db');
    expect(sim.configVars('acme-staging')).toHaveProperty('REFORK_AAAAAAAA_URL');
  });
});

describe('promote', () => {
  it('keeps an alias on the old database, moves DATABASE, and is a no-op when repeated', async () => {
    const fork = await availableFork();
    const old = { id: sim.addons('acme-staging').find((a) => a.name === 'old-db')?.id ?? '', name: 'old-db', app: 'acme-staging' };
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: old }, ctx);
    expect(databaseOf('acme-staging')).toBe(fork.name);
    expect(world.attachedAs('acme-staging', 'old-db')).toEqual([expect.stringMatching(/^HEROKU_POSTGRESQL_[A-Z]+$/)]);
    const before = mutations.length;
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: old }, ctx);
    expect(mutations.length).toBe(before);
  });

  it('re-points the connection pooler that pointed at the old database', async () => {
    sim.attach('old-db', 'acme-staging', 'DATABASE_CONNECTION_POOL', 'connection-pooling:default');
    const fork = await availableFork();
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: null }, ctx);
    const pooler = sim.attachments('acme-staging').find((a) => a.name === 'DATABASE_CONNECTION_POOL');
    expect(pooler?.addon.name).toBe(fork.name);
  });
});

describe('cleanup', () => {
  it('destroys the old database the target owns, and removes the fork alias', async () => {
    const fork = await availableFork();
    const old = { id: sim.addons('acme-staging').find((a) => a.name === 'old-db')?.id ?? '', name: 'old-db', app: 'acme-staging' };
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: old }, ctx);
    expect(
      await effects.cleanup({ ...STAGING, fork, attachmentName: 'REFORK_AAAAAAAA', oldDatabase: old, keepOldDatabase: false }, ctx),
    ).toEqual({ oldDatabase: 'destroyed' });
    expect(sim.attachments('acme-staging').map((a) => a.name)).toEqual(['DATABASE']);
    // Repeated after a crash: the old database is already gone, which counts as done.
    expect(
      await effects.cleanup({ ...STAGING, fork, attachmentName: 'REFORK_AAAAAAAA', oldDatabase: old, keepOldDatabase: false }, ctx),
    ).toEqual({ oldDatabase: 'destroyed' });
  });

  it('detaches, never destroys, an old database owned by another app', async () => {
    sim.createApp('acme-shared');
    await sim.addDatabase('acme-shared', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'shared-db' });
    sim.attach('shared-db', 'acme-staging', 'SHARED');
    const fork = await availableFork();
    const shared = { id: sim.addons('acme-shared').find((a) => a.name === 'shared-db')?.id ?? '', name: 'shared-db', app: 'acme-shared' };
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: null }, ctx);
    expect(
      await effects.cleanup({ ...STAGING, fork, attachmentName: 'REFORK_AAAAAAAA', oldDatabase: shared, keepOldDatabase: false }, ctx),
    ).toEqual({ oldDatabase: 'detached' });
    expect(sim.addons('acme-shared').map((a) => a.name)).toContain('shared-db');
    expect(sim.attachments('acme-staging').some((a) => a.addon.name === 'shared-db')).toBe(false);
  });

  it('refuses to clean up while DATABASE is not the fork', async () => {
    const fork = await availableFork();
    await expect(
      effects.cleanup({ ...STAGING, fork, attachmentName: 'REFORK_AAAAAAAA', oldDatabase: null, keepOldDatabase: false }, ctx),
    ).rejects.toThrow(/refusing to clean up/);
    expect(mutations).toEqual(['createAddon']);
  });
});

describe('compensate', () => {
  it('destroys the fork found by name, and reports nothing left on a repeat', async () => {
    await availableFork();
    expect(await effects.compensate({ ...STAGING, forkName: 'refork-staging-aaaaaaaaaaaa' }, ctx)).toEqual({
      promoted: false,
      destroyed: true,
    });
    expect(await effects.compensate({ ...STAGING, forkName: 'refork-staging-aaaaaaaaaaaa' }, ctx)).toEqual({
      promoted: false,
      destroyed: false,
    });
    expect(databaseOf('acme-staging')).toBe('old-db');
  });

  it('never destroys a fork that already is DATABASE: it asks to roll forward', async () => {
    const fork = await availableFork();
    await effects.promote({ app: 'acme-staging', fork, oldDatabase: null }, ctx);
    expect(await effects.compensate({ ...STAGING, forkName: fork.name }, ctx)).toEqual({ promoted: true, destroyed: false });
    expect(databaseOf('acme-staging')).toBe(fork.name);
  });
});

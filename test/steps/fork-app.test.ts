// The effects with a private fork app: the fork is created, billed and reachable on the fork
// app only; promotion attaches it to the target across apps; cleanup and compensation destroy
// only what the target owns or refork created there; preflight checks the boundary.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import type { AddonRef, CleanupInput } from '../../src/steps/types.js';
import { attachmentsOf as attachmentLines } from '../sim/helpers.js';
import { FORK_AS, FORK_NAME, startStepsWorld, type StepsWorld } from './fixture.js';

const APPS = { app: 'acme-staging', forkApp: 'acme-refork' };
const PREFLIGHT = { sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-staging', forkApp: 'acme-refork' };

let world: StepsWorld;
let sim: Simulator;
beforeEach(async () => {
  world = await startStepsWorld();
  sim = world.sim;
  sim.createApp('acme-refork');
});
afterEach(async () => {
  await sim.close();
});

const ref = (name: string): AddonRef => {
  const addon = sim.addons().find((a) => a.name === name);
  if (!addon) throw new Error(`no add-on ${name}`);
  return { id: addon.id, name, app: addon.app.name };
};
const releasesOf = (app: string) =>
  sim.events.filter((e) => e.type === 'release.created' && e.app?.name === app).map((e) => String(e.detail?.['description']));
const attachmentsOf = (app: string) => attachmentLines(sim, app);

const QA = { app: 'acme-qa', forkApp: 'acme-refork' };

/**
 * A target whose DATABASE is last night's fork, billed to the fork app: every refresh after the
 * first, once the target's own database is gone.
 */
async function previousForkAsDatabase(name = 'refork-qa-000000000000'): Promise<AddonRef> {
  await sim.addDatabase('acme-refork', { plan: 'heroku-postgresql:standard-0', name, as: 'REFORK_00000000' });
  return qaWithDatabase(name);
}

/** The target acme-qa, with no database of its own, runs on `addon` (billed elsewhere). */
function qaWithDatabase(addon: string): AddonRef {
  sim.createApp('acme-qa');
  sim.attach(addon, 'acme-qa', 'DATABASE');
  return ref(addon);
}

/** A fork made on the fork app and promoted on acme-qa over `old`: what cleanup then gets. */
async function promotedOverQa(old: AddonRef, keepOldDatabase = false): Promise<CleanupInput> {
  const fork = await world.availableFork('acme-refork');
  await world.effects.promote({ app: 'acme-qa', fork, oldDatabase: old }, world.ctx);
  return { ...QA, fork, attachmentName: FORK_AS, oldDatabase: old, keepOldDatabase };
}

describe('the fork on the fork app', () => {
  it('is created, billed and attached on the fork app: the target sees nothing', async () => {
    const stagingVars = Object.keys(sim.configVars('acme-staging')).sort();
    const stagingReleases = releasesOf('acme-staging');
    const fork = await world.availableFork('acme-refork');
    expect(sim.addons('acme-refork').map((a) => a.name)).toEqual([FORK_NAME]);
    expect(attachmentsOf('acme-refork')).toEqual([`${FORK_AS}->${FORK_NAME}`]);
    expect(Object.keys(sim.configVars('acme-refork'))).toEqual([`${FORK_AS}_URL`]);
    expect(Object.keys(sim.configVars('acme-staging')).sort()).toEqual(stagingVars);
    expect(releasesOf('acme-staging')).toEqual(stagingReleases);
    expect(world.databaseOf('acme-staging')).toBe('old-db');
    // Masking reads the fork's URL from the fork app's config var.
    expect(await world.effects.anonymize({ app: 'acme-refork', forkId: fork.id, attachmentName: FORK_AS, runId: 'r1' }, world.ctx)).toEqual(
      {
        tables: 0,
        rows: 0,
        skipped: 0,
        facts: { anonymize: { rulesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown, tables: [] } },
      },
    );
  });

  it('is destroyed on the fork app by compensation, and a repeat finds nothing', async () => {
    await world.availableFork('acme-refork');
    expect(await world.effects.compensate({ ...APPS, forkName: FORK_NAME }, world.ctx)).toEqual({ promoted: false, destroyed: true });
    expect(await world.effects.compensate({ ...APPS, forkName: FORK_NAME }, world.ctx)).toEqual({ promoted: false, destroyed: false });
    expect(sim.addons('acme-refork')).toEqual([]);
    expect(world.databaseOf('acme-staging')).toBe('old-db');
  });

  it('is rolled forward, never destroyed, once it is the target’s DATABASE', async () => {
    const fork = await world.availableFork('acme-refork');
    await world.effects.promote({ app: 'acme-staging', fork, oldDatabase: ref('old-db') }, world.ctx);
    expect(await world.effects.compensate({ ...APPS, forkName: FORK_NAME }, world.ctx)).toEqual({ promoted: true, destroyed: false });
    expect(world.databaseOf('acme-staging')).toBe(FORK_NAME);
  });
});

describe('promotion across apps', () => {
  it('attaches the fork as the target’s DATABASE, billed to the fork app; the target’s own old database keeps an alias', async () => {
    const fork = await world.availableFork('acme-refork');
    await world.effects.promote({ app: 'acme-staging', fork, oldDatabase: ref('old-db') }, world.ctx);
    const database = sim.attachments('acme-staging').find((a) => a.name === 'DATABASE');
    expect(database?.addon).toMatchObject({ name: FORK_NAME, app: { name: 'acme-refork' } });
    expect(sim.configVars('acme-staging')['DATABASE_URL']).toBe(sim.databaseUrl(FORK_NAME));
    // Heroku refuses to move the last billing attachment of the database staging owns.
    expect(world.attachedAs('acme-staging', 'old-db')).toEqual([expect.stringMatching(/^HEROKU_POSTGRESQL_[A-Z]+$/)]);
  });

  it('changes nothing on the target but DATABASE when the old database is last night’s fork', async () => {
    const previous = await previousForkAsDatabase();
    const fork = await world.availableFork('acme-refork');
    const before = releasesOf('acme-qa').length;
    await world.effects.promote({ app: 'acme-qa', fork, oldDatabase: previous }, world.ctx);
    expect(releasesOf('acme-qa').slice(before)).toEqual([`Detach DATABASE (@ref:${previous.name})`, `Attach DATABASE (@ref:${FORK_NAME})`]);
    expect(attachmentsOf('acme-qa')).toEqual([`DATABASE->${FORK_NAME}`]);
    expect(world.mutations).toEqual(['createAddon', 'promote']);
  });
});

describe('cleanup across apps', () => {
  it('destroys last night’s fork on the fork app and keeps the new fork’s billing attachment there', async () => {
    const input = await promotedOverQa(await previousForkAsDatabase());
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'destroyed' });
    expect(sim.addons('acme-refork').map((a) => a.name)).toEqual([FORK_NAME]);
    expect(attachmentsOf('acme-refork')).toEqual([`${FORK_AS}->${FORK_NAME}`]);
    expect(attachmentsOf('acme-qa')).toEqual([`DATABASE->${FORK_NAME}`]);
    // Repeated after a crash: gone counts as done, and nothing else is touched.
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'destroyed' });
    expect(world.mutations.filter((m) => m === 'detachForkAlias')).toEqual([]);
  });

  it('destroys the database the target owns, on the target', async () => {
    const fork = await world.availableFork('acme-refork');
    await world.effects.promote({ app: 'acme-staging', fork, oldDatabase: ref('old-db') }, world.ctx);
    const input = { ...APPS, fork, attachmentName: FORK_AS, oldDatabase: ref('old-db'), keepOldDatabase: false };
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'destroyed' });
    expect(sim.addons('acme-staging')).toEqual([]);
    expect(attachmentsOf('acme-staging')).toEqual([`DATABASE->${FORK_NAME}`]);
  });

  it('only detaches a database on the fork app that refork did not create', async () => {
    await sim.addDatabase('acme-refork', { plan: 'heroku-postgresql:standard-0', name: 'hand-made-db', as: 'HAND_MADE' });
    const input = await promotedOverQa(qaWithDatabase('hand-made-db'));
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'detached' });
    expect(
      sim
        .addons('acme-refork')
        .map((a) => a.name)
        .sort(),
    ).toEqual([FORK_NAME, 'hand-made-db'].sort());
  });

  it('only detaches a refork-named database that another app owns', async () => {
    sim.createApp('acme-other');
    await sim.addDatabase('acme-other', { plan: 'heroku-postgresql:standard-0', name: 'refork-other-111111111111', as: 'DATABASE' });
    const input = await promotedOverQa(qaWithDatabase('refork-other-111111111111'));
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'detached' });
    expect(sim.addons('acme-other').map((a) => a.name)).toEqual(['refork-other-111111111111']);
  });

  it('keeps a fork-app database for a rollback under an alias on the target', async () => {
    const previous = await previousForkAsDatabase();
    const input = await promotedOverQa(previous, true);
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'kept' });
    expect(world.attachedAs('acme-qa', previous.name)).toEqual([expect.stringMatching(/^HEROKU_POSTGRESQL_[A-Z]+$/)]);
    const mutations = world.mutations.length;
    expect(await world.effects.cleanup(input, world.ctx)).toEqual({ oldDatabase: 'kept' });
    expect(world.mutations.length).toBe(mutations);
  });
});

describe('preflight of the fork app', () => {
  it('passes for a fork app the token owns, changing nothing', async () => {
    const found = await world.effects.preflight(PREFLIGHT, world.ctx);
    expect(found.oldDatabase).toMatchObject({ name: 'old-db', app: 'acme-staging' });
    expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('refuses a fork app that does not exist, naming the fix', async () => {
    await expect(world.effects.preflight({ ...PREFLIGHT, forkApp: 'acme-nowhere' }, world.ctx)).rejects.toThrow(
      /fork app acme-nowhere does not exist .*heroku create acme-nowhere/,
    );
  });

  it('refuses a personal fork app where the token is only a collaborator (no paid add-ons)', async () => {
    sim.createApp('acme-theirs', { owner: 'ada@example.com' });
    sim.addCollaborator('acme-theirs', sim.account);
    await expect(world.effects.preflight({ ...PREFLIGHT, forkApp: 'acme-theirs' }, world.ctx)).rejects.toThrow(
      /may not create paid add-ons on acme-theirs/,
    );
  });

  it('accepts a team fork app where the token holds manage, refuses one where it holds deploy only', async () => {
    sim.addTeamMember('acme', sim.account, 'member');
    sim.createApp('acme-team-forks', { team: 'acme', locked: true });
    sim.addCollaborator('acme-team-forks', sim.account, ['deploy']);
    await expect(world.effects.preflight({ ...PREFLIGHT, forkApp: 'acme-team-forks' }, world.ctx)).rejects.toThrow(
      /may not create paid add-ons/,
    );
    sim.addCollaborator('acme-team-forks', sim.account, ['deploy', 'manage']);
    await expect(world.effects.preflight({ ...PREFLIGHT, forkApp: 'acme-team-forks' }, world.ctx)).resolves.toBeTruthy();
  });
});

describe('preflight with fork_app_access: refuse', () => {
  beforeEach(async () => {
    await sim.close();
    world = await startStepsWorld({ forkAppAccess: 'refuse' });
    sim = world.sim;
    sim.createApp('acme-refork');
  });

  it('refuses a fork app that lets in someone production does not, and passes once production does too', async () => {
    sim.addCollaborator('acme-refork', 'grace@example.com');
    await expect(world.effects.preflight(PREFLIGHT, world.ctx)).rejects.toThrow(
      /fork app acme-refork lets grace@example.com \(collaborator: deploy, operate, view\) reach its data, which production acme-prod does not/,
    );
    sim.addCollaborator('acme-prod', 'grace@example.com');
    await expect(world.effects.preflight(PREFLIGHT, world.ctx)).resolves.toBeTruthy();
  });

  it('counts the members of an unlocked team fork app, who may join it', async () => {
    sim.addTeamMember('acme', sim.account, 'admin');
    sim.addTeamMember('acme', 'linus@example.com', 'member');
    sim.createApp('acme-team-forks', { team: 'acme' });
    const input = { ...PREFLIGHT, forkApp: 'acme-team-forks' };
    await expect(world.effects.preflight(input, world.ctx)).rejects.toThrow(
      /linus@example.com \(team member, may join \(app not locked\)\)/,
    );
    sim.createApp('acme-locked-forks', { team: 'acme', locked: true });
    // Locked, it lets in its admins only: here the token's own account, which owns production.
    await expect(world.effects.preflight({ ...input, forkApp: 'acme-locked-forks' }, world.ctx)).resolves.toBeTruthy();
  });
});

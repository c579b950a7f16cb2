// A private fork app end to end: at every boundary of a refresh the target's config vars hold
// no URL of an unverified fork, the target restarts for the promotion only, and cleanup, gc and
// doctor know who owns what across apps. Without a fork app the same watch finds the exposure.
import { afterEach, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/open.js';
import { silentLogger } from '../../src/log/logger.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { migrateToLatest } from '../../src/store/index.js';
import { checkInvariants } from '../support/invariants.js';
import { FORK_APP, PREVIOUS_FORK, createWorld, readControl, type World, type WorldOptions } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const databaseOf = (w: World, app = 'acme-staging') => w.sim.attachments(app).find((a) => a.name === 'DATABASE' && !a.namespace)?.addon;
const releasesOf = (w: World, app: string) =>
  w.sim.events.filter((e) => e.type === 'release.created' && e.app?.name === app).map((e) => String(e.detail?.['description']));

interface Seen {
  boundary: string;
  /** Config vars of the target holding this run's fork's URL at that instant. */
  holding: string[];
}

/**
 * One refresh in this process, looking at the simulator at every boundary the runner passes
 * (the crash suite's boundaries: each Heroku mutation, effect and stored transition).
 */
async function watchedRefresh(w: World): Promise<{ seen: Seen[]; status: string }> {
  const seen: Seen[] = [];
  const forkUrl = (): string | undefined => {
    const fork = w.sim.addons().find((a) => a.name.startsWith('refork-staging-') && a.name !== PREVIOUS_FORK);
    if (!fork) return undefined;
    try {
      return w.sim.databaseUrl(fork.id);
    } catch {
      return undefined; // still provisioning: no URL exists yet
    }
  };
  const boundary = (name: string) => {
    const url = forkUrl();
    const vars = Object.entries(w.sim.configVars('acme-staging'));
    seen.push({ boundary: name, holding: url ? vars.filter(([, value]) => value === url).map(([key]) => key) : [] });
  };
  const app = await openApp({ processEnv: w.env, logger: silentLogger(), boundary });
  try {
    await migrateToLatest(app.knex);
    const pipeline = app.pipeline('staging');
    const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, {
      start: true,
      deadline: null,
      shutdown: new AbortController().signal,
    });
    return { seen, status: outcome.kind === 'finished' ? outcome.status : outcome.kind };
  } finally {
    await app.close();
  }
}

/** The boundaries before the run stored "verification passed", and those from then on. */
function splitAtVerification(seen: Seen[]): { before: Seen[]; after: Seen[] } {
  const passed = seen.findIndex((s) => s.boundary === 'store:save:promoting:after');
  expect(passed, 'the run passed verification').toBeGreaterThan(0);
  return { before: seen.slice(0, passed + 1), after: seen.slice(passed + 1) };
}

describe('a refresh through a private fork app', () => {
  it('never lets a target config var hold the fork before it passed verification, at any boundary; the target restarts once', async () => {
    world = await createWorld({ forkApp: true, previousFork: true });
    const releasesBefore = releasesOf(world, 'acme-staging').length;
    const { seen, status } = await watchedRefresh(world);
    expect(status).toBe('succeeded');
    const { before, after } = splitAtVerification(seen);
    expect(before.length).toBeGreaterThan(15);
    expect(before.filter((s) => s.holding.length > 0)).toEqual([]);
    // It does hold it once promoted: the watch sees what it is looking for.
    expect(after.at(-1)?.holding).toEqual(['DATABASE_URL']);

    const fork = databaseOf(world);
    expect(fork).toMatchObject({ name: expect.stringMatching(/^refork-staging-[0-9a-f]{12}$/), app: { name: FORK_APP } });
    // One change on the target, the promotion (Heroku records moving DATABASE as a Detach/Attach pair).
    expect(releasesOf(world, 'acme-staging').slice(releasesBefore)).toEqual([
      `Detach DATABASE (@ref:${PREVIOUS_FORK})`,
      `Attach DATABASE (@ref:${fork?.name ?? ''})`,
    ]);
    expect(world.sim.attachments('acme-staging').map((a) => a.name)).toEqual(['DATABASE']);
    // Last night's fork is destroyed on the fork app; tonight's keeps its billing attachment there.
    expect(world.sim.addons(FORK_APP).map((a) => a.name)).toEqual([fork?.name]);
    expect(world.sim.attachments(FORK_APP).map((a) => `${a.name}->${a.addon.name}`)).toEqual([
      expect.stringMatching(new RegExp(`^REFORK_[0-9A-F]{8}->${fork?.name ?? ''}$`)),
    ]);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
  });

  it('without a fork app, the same watch finds the unmasked fork in the target’s config vars (what fork_app prevents)', async () => {
    world = await createWorld();
    const { seen, status } = await watchedRefresh(world);
    expect(status).toBe('succeeded');
    const { before } = splitAtVerification(seen);
    const exposed = before.filter((s) => s.holding.length > 0);
    expect(exposed.length).toBeGreaterThan(5);
    expect(exposed[0]?.holding).toEqual([expect.stringMatching(/^REFORK_[0-9A-F]{8}_URL$/)]);
    expect(world.targetExposures.filter((e) => !e.verified)).toEqual([
      { variable: expect.stringMatching(/^REFORK_/), addon: expect.stringMatching(/^refork-staging-/), verified: false },
    ]);
  });

  it('refreshes a target that still owns its database, then the next night only moves DATABASE', async () => {
    world = await createWorld({ forkApp: true });
    const first = await world.cli(['run', 'staging']);
    expect(first.stdout).toMatch(/succeeded/);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    const firstFork = databaseOf(world);
    expect(firstFork?.app.name).toBe(FORK_APP);
    // Staging owned its old database: kept under an alias while DATABASE moved (Heroku's rule), then destroyed.
    expect(world.sim.addons('acme-staging')).toEqual([]);

    const releases = releasesOf(world, 'acme-staging').length;
    const second = await world.cli(['run', 'staging']);
    expect(second.stdout).toMatch(/succeeded/);
    const secondFork = databaseOf(world);
    expect(releasesOf(world, 'acme-staging').slice(releases)).toEqual([
      `Detach DATABASE (@ref:${firstFork?.name ?? ''})`,
      `Attach DATABASE (@ref:${secondFork?.name ?? ''})`,
    ]);
    expect(world.sim.addons(FORK_APP).map((a) => a.name)).toEqual([secondFork?.name]);
    expect(world.targetExposures.filter((e) => !e.verified)).toEqual([]);
    expect(world.targetExposures.map((e) => e.variable)).toEqual(['DATABASE_URL', 'DATABASE_URL']);
  });

  it('compensates a failed fork on the fork app: destroyed there, staging untouched', async () => {
    world = await createWorld({ forkApp: true, previousFork: true });
    world.sim.failNextFork({ message: 'Fork failed: could not restore the base backup.' });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(1);
    expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
    expect(world.sim.addons(FORK_APP).map((a) => a.name)).toEqual([PREVIOUS_FORK]);
    expect(databaseOf(world)?.name).toBe(PREVIOUS_FORK);
  });

  it('keeps last night’s fork for a rollback when the release phase fails, and gc leaves it alone', async () => {
    world = await createWorld({ forkApp: true, previousFork: true, releasePhase: true, failReleaseOnPromote: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(1);
    const [run] = await readControl<{ error: string }>(world, 'SELECT error FROM refork_runs');
    expect(run?.error).toMatch(/release phase/);
    const alias = world.sim.attachments('acme-staging').find((a) => a.addon.name === PREVIOUS_FORK);
    expect(alias?.name).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+$/);
    const gc = await world.cli(['gc', '--json']);
    expect(JSON.parse(gc.stdout)).toEqual({ orphans: [], destroyed: [] });
  });
});

describe('refork gc with a fork app', () => {
  it('finds a fork left on the fork app, destroys it, and never the DATABASE it bills for', async () => {
    world = await createWorld({ forkApp: true, previousFork: true });
    await world.sim.addDatabase(FORK_APP, {
      plan: 'heroku-postgresql:standard-0',
      name: 'refork-staging-deadbeef0000',
      as: 'REFORK_DEADBEEF',
    });
    const listed = await world.cli(['gc', '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({ orphans: [{ app: FORK_APP, name: 'refork-staging-deadbeef0000' }], destroyed: [] });
    const destroyed = await world.cli(['gc', '--yes', '--json']);
    expect(JSON.parse(destroyed.stdout)).toMatchObject({ destroyed: ['refork-staging-deadbeef0000'] });
    expect(world.sim.addons(FORK_APP).map((a) => a.name)).toEqual([PREVIOUS_FORK]);
    expect(databaseOf(world)?.name).toBe(PREVIOUS_FORK);
  });
});

describe('refork doctor and the fork app boundary', () => {
  const grace = 'grace@example.com';
  const withGrace = async (options: WorldOptions) => {
    const w = await createWorld({ forkApp: true, ...options });
    w.sim.addCollaborator(FORK_APP, grace);
    return w;
  };

  it('lists who reaches production and the fork app, and warns about anyone production does not let in', async () => {
    world = await createWorld({ forkApp: true });
    const sound = await world.cli(['doctor']);
    expect(sound.code).toBe(0);
    expect(sound.stdout).toContain(`✓ access staging: fork app ${FORK_APP} lets in nobody beyond acme-prod.`);
    expect(sound.stdout).toContain(`acme-prod: ${world.sim.account} (owner)`);
    world.sim.addCollaborator(FORK_APP, grace);
    const wide = await world.cli(['doctor']);
    expect(wide.code).toBe(0);
    expect(wide.stdout).toMatch(
      new RegExp(
        `! access staging: fork app ${FORK_APP} lets ${grace} \\(collaborator: deploy, operate, view\\) reach its data, which acme-prod does not`,
      ),
    );
    expect(world.sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('says plainly what an unset fork_app exposes', async () => {
    world = await createWorld();
    world.sim.addCollaborator('acme-staging', 'contractor@example.com');
    const result = await world.cli(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /! access staging: fork_app is unset: the unmasked fork lives on the target until it is promoted, and acme-staging lets contractor@example\.com \(collaborator: deploy, operate, view\) reach its data, which acme-prod does not: set fork_app/,
    );
  });

  it('with fork_app_access: refuse, fails doctor and refuses the run with one line, creating nothing', async () => {
    world = await withGrace({ pipeline: { fork_app_access: 'refuse' } });
    const doctor = await world.cli(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`✗ pipeline staging: .*fork app ${FORK_APP} lets ${grace}`));
    const created = world.sim.events.filter((e) => e.type === 'addon.created').length;
    const run = await world.cli(['run', 'staging']);
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toMatch(new RegExp(`lets ${grace} .* set fork_app_access: warn`));
    expect(world.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(created);
    expect(world.sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

// SIGKILL at the boundaries of a refresh through a private fork app, then resume: one fork,
// nothing leaked on any app, the old database destroyed only after promotion and only where
// refork may, and at the instant of each crash no config var of the target holding the URL
// of a fork that has not passed verification. Boundaries before the fork exists (run start,
// preflight) are the same with or without a fork app; every-boundary.test.ts covers them.
//
// The suite's size: every Heroku mutation of a refresh and the roll-forward point after the
// stored promotion (`npm test`); `npm run crash:fork-app` crashes at every boundary from the
// fork on. test/e2e/fork-app.test.ts watches the target's config vars at every boundary too.
import { describe, expect, it } from 'vitest';
import { checkInvariants, unverifiedForksOnTarget } from '../support/invariants.js';
import { createWorld, type WorldOptions } from '../support/world.js';
import { resume } from '../support/resume.js';
import { crashEach, recordBoundaries, type CrashResult } from './harness.js';
import { isRepeatPoll } from './shard.js';

const EVERY_BOUNDARY = process.env.REFORK_CRASH_ALL === '1';
/** Every refresh after the first: staging runs on last night's fork, billed to the fork app. */
const STEADY: WorldOptions = { forkApp: true, previousFork: true };
/** The first refresh: staging still owns its database. */
const FIRST: WorldOptions = { forkApp: true };

function expectClean(results: CrashResult[], expected: number): void {
  expect(results).toHaveLength(expected);
  expect(results.filter((r) => r.violations.length)).toEqual([]);
  expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
}

describe('crash through a private fork app', () => {
  it('resumes to a clean success from a SIGKILL at the boundaries from the fork on', { timeout: 1_800_000 }, async () => {
    const recorded = await recordBoundaries(STEADY);
    const fromFork = recorded.slice(recorded.indexOf('effect:createFork:before#1')).filter((p) => !isRepeatPoll(p));
    const points = EVERY_BOUNDARY ? fromFork : fromFork.filter((p) => p.startsWith('heroku:') || p === 'store:save:cleaning:after#1');
    expect(points).toEqual(
      expect.arrayContaining([
        'heroku:createAddon:before#1',
        'heroku:createAddon:after#1',
        'heroku:promote:before#1',
        'heroku:promote:after#1',
        'heroku:destroyOldDatabase:before#1',
        'heroku:destroyOldDatabase:after#1',
        'store:save:cleaning:after#1',
      ]),
    );
    const results = await crashEach(recorded, points, STEADY);
    console.log(
      `fork-app crash suite: ${points.length} of ${fromFork.length} boundaries from the fork on, ${results.filter((r) => r.violations.length).length} with violations`,
    );
    expectClean(results, points.length);
  });

  it('resumes from a SIGKILL around the alias a first refresh keeps (the target owns its old database)', { timeout: 900_000 }, async () => {
    const recorded = await recordBoundaries(FIRST);
    const mutations = recorded.filter((p) => p.startsWith('heroku:'));
    expect(mutations).toEqual([
      'heroku:createAddon:before#1',
      'heroku:createAddon:after#1',
      'heroku:aliasOldDatabase:before#1',
      'heroku:aliasOldDatabase:after#1',
      'heroku:promote:before#1',
      'heroku:promote:after#1',
      'heroku:destroyOldDatabase:before#1',
      'heroku:destroyOldDatabase:after#1',
    ]);
    const points = EVERY_BOUNDARY ? mutations : ['heroku:aliasOldDatabase:after#1', 'heroku:promote:after#1'];
    expectClean(await crashEach(recorded, points, FIRST), points.length);
  });

  it.each(['heroku:destroyFork:before#1', 'heroku:destroyFork:after#1'])(
    'destroys a failed fork on the fork app after a SIGKILL at %s, staging untouched',
    { timeout: 120_000 },
    async (point) => {
      const world = await createWorld(STEADY);
      try {
        world.sim.failNextFork({ message: 'Fork failed: could not restore the base backup.' });
        const crashed = await world.cli(['run', 'staging'], { REFORK_CRASH_AT: point });
        expect(crashed.signal).toBe('SIGKILL');
        expect(await unverifiedForksOnTarget(world)).toEqual([]);
        await resume(world);
        expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
        expect(world.sim.addons('acme-refork').map((a) => a.name)).toEqual([world.oldStagingAddon]);
      } finally {
        await world.close();
      }
    },
  );
});

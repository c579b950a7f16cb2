// SIGKILL at the boundaries of maintenance mode around the swap, then resume: staging is in
// maintenance when DATABASE moves and out of it once the run ended (never left on, an owner's
// window never turned off), besides every other invariant. Boundaries come from a recorded run
// with `maintenance: true`, from the first look at staging to the step after maintenance is off.
//
// The suite's size: the maintenance calls and the transitions that record them (`npm test`);
// `npm run crash:maintenance` crashes at every boundary in the span.
import { describe, expect, it } from 'vitest';
import type { WorldOptions } from '../support/world.js';
import { crashEach, recordBoundaries, worldsFor, type CrashResult } from './harness.js';

const EVERY_BOUNDARY = process.env.REFORK_CRASH_ALL === '1';

/** The boundaries from entering maintenance up to the step after it is left. */
function span(recorded: string[], last: string): string[] {
  const from = recorded.indexOf('store:save:enteringMaintenance:before#1');
  const to = recorded.indexOf(last);
  if (from < 0 || to < 0) throw new Error(`the recorded run lacks maintenance boundaries: ${recorded.join(' ')}`);
  return recorded.slice(from, to + 1);
}

/** In `npm test`: around each maintenance call, and the stored look and the stored step after maintenance is off. */
const MAINTENANCE_POINTS =
  /^(heroku:maintenance(On|Off):(before|after)#1|store:save:enteringMaintenance:after#2|store:save:(leavingMaintenance|compensating):after#1)$/;
const chosen = (points: string[]) => (EVERY_BOUNDARY ? points : points.filter((p) => MAINTENANCE_POINTS.test(p)));

function expectClean(results: CrashResult[]): void {
  expect(results.filter((r) => r.violations.length)).toEqual([]);
  expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
}

describe('crash around maintenance mode', () => {
  it('resumes to a clean success, staging out of maintenance, from a SIGKILL at each boundary', { timeout: 900_000 }, async () => {
    const options: WorldOptions = { maintenance: true, releasePhase: true };
    const recorded = await recordBoundaries(options);
    const all = span(recorded, 'store:save:cleaning:after#1');
    expect(all).toEqual(
      expect.arrayContaining([
        'store:save:enteringMaintenance:after#2',
        'heroku:maintenanceOn:before#1',
        'heroku:maintenanceOn:after#1',
        'store:save:promoting:after#1',
        'heroku:promote:after#1',
        'store:save:leavingMaintenance:after#1',
        'heroku:maintenanceOff:before#1',
        'heroku:maintenanceOff:after#1',
      ]),
    );
    const points = chosen(all);
    expect(points.length).toBeGreaterThanOrEqual(6);
    const results = await crashEach(recorded, points, options, 'succeeded');
    console.log(
      `maintenance crash suite: ${points.length} of ${all.length} boundaries around maintenance mode (${worldsFor(recorded, points)}), ${results.filter((r) => r.violations.length).length} with violations`,
    );
    expectClean(results);
  });

  it('after a promotion Heroku refuses, resumes to a failed run with staging out of maintenance', { timeout: 600_000 }, async () => {
    const options: WorldOptions = {
      maintenance: true,
      faults: [{ method: 'POST', path: '/addon-attachments', times: 500, kind: { status: 403, id: 'forbidden', message: 'not allowed' } }],
    };
    const recorded = await recordBoundaries(options, 'failed');
    const all = span(recorded, 'store:save:failed:after#1');
    expect(all).toEqual(
      expect.arrayContaining(['heroku:maintenanceOn:after#1', 'store:save:compensating:after#1', 'heroku:maintenanceOff:after#1']),
    );
    // The crash that matters on this path: compensation stored, maintenance not yet off.
    const points = EVERY_BOUNDARY ? all : ['store:save:compensating:after#1', 'heroku:maintenanceOff:before#1'];
    expectClean(await crashEach(recorded, points, options, 'failed'));
  });

  it('never turns off a window of the owner’s own, whatever the crash', { timeout: 300_000 }, async () => {
    const options: WorldOptions = { maintenance: true, ownersMaintenance: true };
    const recorded = await recordBoundaries(options);
    expect(recorded.filter((p) => p.startsWith('heroku:maintenance'))).toEqual([]);
    const points = ['heroku:promote:after#1'];
    expect(recorded).toEqual(expect.arrayContaining(points));
    expectClean(await crashEach(recorded, points, options, 'succeeded'));
  });
});

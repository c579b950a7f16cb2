// SIGKILL at the boundaries of `refork rollback`, then `refork rollback` again until no run is
// active: the previous database is DATABASE again, the database rolled back from is kept as
// the new previous (alive, under REFORK_PREVIOUS, recorded once), nothing leaked, never more
// than one previous database, never one destroyed inside its window, and DATABASE only ever
// the old database, a previous one or a verified fork. The boundaries come from a recorded
// clean rollback (after a clean refresh with keep_previous), not from a hand-written list.
//
// With `maintenance: true` staging is in maintenance when DATABASE moves back and out of it once
// the rollback ended (never left on), at every boundary from the first look at staging to the
// step after maintenance is off.
//
// The suite's size (each point is a fresh world and a refresh, ~15 s): in `npm test`, the
// reservation made but not yet persisted, the promotion made but not persisted (the roll-forward
// case), and the moment between dropping the restored database's alias and keeping the other;
// with maintenance mode, maintenance turned on but not yet recorded, and the promotion recorded
// with maintenance still to leave. `npm run crash:rollback` crashes at every boundary.
import { describe, expect, it } from 'vitest';
import { checkPreviousInvariants, maintenanceViolations } from '../support/invariants.js';
import { readControl, type WorldOptions } from '../support/world.js';
import { leaseFree } from '../support/resume.js';
import { recordRollbackBoundaries, refreshed } from './harness.js';

const EVERY_BOUNDARY = process.env.REFORK_CRASH_ALL === '1';
/** Staging runs on last night's fork (billed to the fork app); refreshes keep what they replace. */
const WORLD: WorldOptions = { forkApp: true, previousFork: true, pipeline: { keep_previous: '24h' } };

interface Crash {
  point: string;
  reached: boolean;
  violations: string[];
}

async function crashRollbackAt(point: string, options: WorldOptions): Promise<Crash> {
  const { world, fork } = await refreshed(options);
  try {
    const crashed = await world.cli(['rollback', 'staging'], { REFORK_CRASH_AT: point });
    const reached = crashed.signal === 'SIGKILL';
    let last = '';
    // Resume until the rollback that was started has ended (killed before its run existed: start it).
    for (let attempt = 0; attempt < 6; attempt++) {
      const active = await readControl(world, "SELECT 1 FROM refork_runs WHERE status = 'active'");
      const started = await readControl(world, "SELECT 1 FROM refork_runs WHERE kind = 'rollback'");
      if (active.length === 0 && started.length > 0) break;
      await leaseFree(world);
      const result = await world.cli(['rollback', 'staging']);
      last = (result.stdout + result.stderr).trim();
    }
    const violations = await checkPreviousInvariants(world);
    const database = world.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name;
    if (database !== world.oldStagingAddon)
      violations.push(`DATABASE is ${database ?? 'nothing'}, not the previous ${world.oldStagingAddon}`);
    const kept = world.sim.attachments('acme-staging').filter((a) => a.name === 'REFORK_PREVIOUS');
    if (kept.length !== 1 || kept[0]?.addon.name !== fork)
      violations.push(`REFORK_PREVIOUS is ${kept.map((a) => a.addon.name).join(', ') || 'nothing'}, not ${fork}`);
    const rows = await readControl<{ addon_name: string; state: string }>(
      world,
      'SELECT addon_name, state FROM refork_previous_databases ORDER BY id',
    );
    const expected = [
      { addon_name: world.oldStagingAddon, state: 'restored' },
      { addon_name: fork, state: 'kept' },
    ];
    if (JSON.stringify(rows) !== JSON.stringify(expected)) violations.push(`records ${JSON.stringify(rows)}`);
    const runs = await readControl<{ kind: string; status: string }>(world, 'SELECT kind, status FROM refork_runs ORDER BY created_at');
    if (runs.some((r) => r.status !== 'succeeded') || runs.filter((r) => r.kind === 'rollback').length !== 1)
      violations.push(`runs ${JSON.stringify(runs)}`);
    violations.push(...maintenanceViolations(world, runs));
    const leaked = world.sim.addons().filter((a) => a.name.startsWith('refork-') && a.name !== fork && a.name !== world.oldStagingAddon);
    for (const addon of leaked) violations.push(`leaked ${addon.name}`);
    return { point, reached, violations: violations.length ? [...violations, `last output: ${last.split('\n').at(-1) ?? ''}`] : [] };
  } finally {
    await world.close();
  }
}

/** One point after another, each in a fresh world; a point missed on a loaded machine (lease lost first) is tried once more. */
async function crashEach(points: string[], options: WorldOptions): Promise<Crash[]> {
  const results: Crash[] = [];
  for (const point of points) {
    const first = await crashRollbackAt(point, options);
    results.push(first.reached ? first : await crashRollbackAt(point, options));
  }
  return results;
}

describe('crash during a rollback', () => {
  it('resumes to a clean rollback from a SIGKILL at its boundaries', { timeout: 1_800_000 }, async () => {
    const recorded = await recordRollbackBoundaries(WORLD);
    expect(recorded).toEqual(
      expect.arrayContaining([
        'store:startRun:after#1',
        'effect:reservePrevious:after#1',
        'heroku:promote:before#1',
        'heroku:promote:after#1',
        'heroku:detachPreviousAlias:after#1',
        'heroku:aliasPrevious:after#1',
        'store:save:succeeded:before#1',
      ]),
    );
    const points = EVERY_BOUNDARY
      ? recorded
      : ['effect:reservePrevious:after#1', 'heroku:promote:after#1', 'heroku:detachPreviousAlias:after#1'];
    const results = await crashEach(points, WORLD);
    console.log(
      `rollback crash suite: ${points.length} of ${recorded.length} boundaries, ${results.filter((r) => r.violations.length).length} with violations`,
    );
    expect(results.filter((r) => r.violations.length)).toEqual([]);
    expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
  });

  it('with maintenance mode, resumes to a clean rollback with staging out of maintenance', { timeout: 1_800_000 }, async () => {
    const options: WorldOptions = { ...WORLD, maintenance: true, releasePhase: true };
    const recorded = await recordRollbackBoundaries(options);
    const from = recorded.indexOf('store:save:enteringMaintenance:before#1');
    const to = recorded.indexOf('store:save:cleaning:after#1');
    expect(from, recorded.join(' ')).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const span = recorded.slice(from, to + 1);
    expect(span).toEqual(
      expect.arrayContaining([
        'store:save:enteringMaintenance:after#2',
        'heroku:maintenanceOn:after#1',
        'heroku:promote:after#1',
        'store:save:leavingMaintenance:after#1',
        'heroku:maintenanceOff:before#1',
        'heroku:maintenanceOff:after#1',
      ]),
    );
    const points = EVERY_BOUNDARY ? span : ['heroku:maintenanceOn:after#1', 'store:save:leavingMaintenance:after#1'];
    const results = await crashEach(points, options);
    console.log(
      `rollback crash suite (maintenance mode): ${points.length} of ${span.length} boundaries around maintenance mode, ${results.filter((r) => r.violations.length).length} with violations`,
    );
    expect(results.filter((r) => r.violations.length)).toEqual([]);
    expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
  });
});

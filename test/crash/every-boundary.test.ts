// SIGKILL at every side-effect boundary of a run, then resume: one fork, nothing leaked, the
// old database destroyed only after promotion, DATABASE never unanonymized, run succeeded.
import { describe, expect, it } from 'vitest';
import { crashAt, recordBoundaries, type CrashResult } from './harness.js';

describe('crash at every boundary', () => {
  it('resumes to a clean success from a SIGKILL at each boundary of a recorded run', { timeout: 600_000 }, async () => {
    const points = await recordBoundaries();
    expect(points.length).toBeGreaterThan(30);
    expect(points).toEqual(expect.arrayContaining(['heroku:createAddon:before#1', 'heroku:createAddon:after#1', 'heroku:promote:after#1', 'heroku:destroyOldDatabase:before#1']));

    const results: CrashResult[] = [];
    for (const point of points) results.push(await crashAt([point]));

    const reached = results.filter((r) => r.reached).length;
    console.log(`crash suite: ${points.length} boundaries found, ${reached} crash points exercised, ${results.filter((r) => r.violations.length).length} with violations`);
    expect(results.filter((r) => r.violations.length)).toEqual([]);
    // Every boundary but the poll repeats must really have been hit.
    const missed = results.filter((r) => !r.reached && !/waitForFork|store:save:waiting/.test(r.point));
    expect(missed.map((r) => r.point)).toEqual([]);
  });
});

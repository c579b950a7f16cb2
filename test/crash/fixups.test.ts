// SIGKILL around the fix-ups, then resume: each fix-up in the promoted fork's ledger once and its
// effect applied once (the invariants' counter), whether the runner died before a fix-up's
// commit, after it and before the next, or after the last and before the step's state was saved.
// `npm test` chains those crashes in one world (each resumed process killed at the next point:
// five SIGKILLs, one refresh); REFORK_CRASH_ALL=1 also crashes a fresh world at every fix-up
// boundary of a recorded clean run.
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, type WorldOptions } from '../support/world.js';
import { leaseFree, resume } from '../support/resume.js';
import { crashAt, recordBoundaries, type CrashResult } from './harness.js';

const EVERY_BOUNDARY = process.env.REFORK_CRASH_ALL === '1';
const WORLD: WorldOptions = { fixups: true };

/** Boundary counts restart with each process: `#1` is the first commit that process makes. */
const CHAIN = [
  // Before fix-up 1 commits: it rolls back, the next process applies it.
  'fork:fixup:commit:before#1',
  // After fix-up 1 commits, before fix-up 2: the next process skips 1 and applies 2 ...
  'fork:fixup:commit:after#1',
  // ... and dies after 2's commit; the next skips 1 and 2 and applies 3 ...
  'fork:fixup:commit:after#1',
  // ... and dies after the last commit, before the step's output is saved.
  'fork:fixup:commit:after#1',
  // All three are in the ledger: the step's output (resumed: true) is computed, and the process dies saving it.
  'store:save:verifying:before#1',
];

async function chain(): Promise<void> {
  const world = await createWorld(WORLD);
  try {
    const signals: Array<string | null> = [];
    for (const point of CHAIN) {
      await leaseFree(world);
      signals.push((await world.cli(['run', 'staging'], { REFORK_CRASH_AT: point })).signal);
    }
    expect(signals).toEqual(CHAIN.map(() => 'SIGKILL'));
    await resume(world);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
  } finally {
    await world.close();
  }
}

/** A fresh world per fix-up boundary of a recorded clean run (REFORK_CRASH_ALL=1). */
async function everyBoundary(): Promise<void> {
  const recorded = await recordBoundaries(WORLD);
  const points = recorded.filter((p) => /^(effect:fixUp:|fork:fixup:|store:save:fixingUp:|store:save:verifying:before#1$)/.test(p));
  expect(points.filter((p) => p.startsWith('fork:fixup:commit:after'))).toHaveLength(3);
  const results: CrashResult[] = [];
  for (const point of points) results.push(await crashAt([point], WORLD));
  console.log(`fix-ups crash suite: ${points.length} boundaries, ${results.filter((r) => r.violations.length).length} with violations`);
  expect(results.filter((r) => r.violations.length)).toEqual([]);
  expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
}

describe('crash around the fix-ups', () => {
  it('applies every fix-up exactly once through SIGKILLs between its commits and the saved state', { timeout: 1_800_000 }, async () => {
    await chain();
    if (EVERY_BOUNDARY) await everyBoundary();
  });
});

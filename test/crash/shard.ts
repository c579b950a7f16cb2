// One shard of the every-boundary crash run: all boundaries are recorded from a clean run, and
// shard i of n takes every n-th one, in chains of kills (harness.ts, crashEach). Each shard
// prints what it exercised.
import { crashEach, recordBoundaries, worldsFor, type CrashResult } from './harness.js';

const MUST_HAVE = [
  'heroku:createAddon:before#1',
  'heroku:createAddon:after#1',
  'heroku:promote:after#1',
  'heroku:destroyOldDatabase:before#1',
  'store:startRun:after#1',
];

/** The second and later polls of the fork: whether a run makes them depends on timing. */
export function isRepeatPoll(point: string): boolean {
  return /^(effect:waitForFork:[a-z]+|store:save:waiting:[a-z]+)#([2-9]|\d\d)$/.test(point);
}

export async function crashEveryBoundary(shard: number, shards: number): Promise<{ results: CrashResult[]; total: number }> {
  const points = await recordBoundaries();
  const missing = MUST_HAVE.filter((p) => !points.includes(p));
  if (missing.length) throw new Error(`the recorded run lacks boundaries ${missing.join(', ')}`);
  const mine = points.filter((_, i) => i % shards === shard);
  const results = await crashEach(points, mine);
  const reached = results.filter((r) => r.reached).length;
  console.log(
    `crash suite shard ${shard + 1}/${shards}: ${points.length} boundaries found, ${reached} of ${mine.length} crash points exercised here (${worldsFor(points, mine)}), ${results.filter((r) => r.violations.length).length} with violations`,
  );
  return { results, total: points.length };
}

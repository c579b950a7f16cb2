// Crash at every side-effect boundary: the boundaries are taken from a recorded clean run
// (not hand-picked), then for each one a real runner process is SIGKILLed there, a fresh
// process resumes the run, and the design's invariants are checked.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkInvariants, unverifiedForksOnTarget } from '../support/invariants.js';
import { createWorld, type World, type WorldOptions } from '../support/world.js';
import { leaseFree, resume } from '../support/resume.js';

/** How the uninterrupted run ends: a clean one succeeds; one whose world refuses a step fails. */
export type Ending = 'succeeded' | 'failed';

/** Boundaries of one uninterrupted run, in order, as `name#occurrence`. */
export async function recordBoundaries(options: WorldOptions = {}, ending: Ending = 'succeeded'): Promise<string[]> {
  const world = await createWorld(options);
  const trace = join(tmpdir(), `refork-trace-${randomBytes(4).toString('hex')}`);
  try {
    const result = await world.cli(['run', 'staging'], { REFORK_TRACE_FILE: trace });
    if ((result.code === 0) !== (ending === 'succeeded'))
      throw new Error(`the run did not end ${ending}: ${result.stdout} ${result.stderr}`);
    const points = (await readFile(trace, 'utf8')).trim().split('\n');
    // How many times the fork is polled depends on timing; crash only at the first two polls.
    return points.filter((p) => !/^(effect:waitForFork|store:save:waiting):[a-z]+#([3-9]|\d\d)/.test(p));
  } finally {
    await rm(trace, { force: true });
    await world.close();
  }
}

/** A world after one clean refresh: staging on a new fork, last night's kept as the previous database. */
export async function refreshed(options: WorldOptions): Promise<{ world: World; fork: string }> {
  const world = await createWorld(options);
  const result = await world.cli(['run', 'staging']);
  if (result.code !== 0) {
    await world.close();
    throw new Error(`clean refresh failed: ${result.stdout} ${result.stderr}`);
  }
  const fork = world.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name ?? '';
  return { world, fork };
}

/** Boundaries of one uninterrupted `refork rollback`, after a clean refresh, in order, as `name#occurrence`. */
export async function recordRollbackBoundaries(options: WorldOptions): Promise<string[]> {
  const { world } = await refreshed(options);
  const trace = join(tmpdir(), `refork-trace-${randomBytes(4).toString('hex')}`);
  try {
    const result = await world.cli(['rollback', 'staging'], { REFORK_TRACE_FILE: trace });
    if (result.code !== 0) throw new Error(`clean rollback failed: ${result.stdout} ${result.stderr}`);
    return (await readFile(trace, 'utf8')).trim().split('\n');
  } finally {
    await rm(trace, { force: true });
    await world.close();
  }
}

export interface CrashResult {
  point: string;
  reached: boolean;
  violations: string[];
}

export async function crashAt(points: string[], options: WorldOptions = {}, ending: Ending = 'succeeded'): Promise<CrashResult> {
  const world = await createWorld(options);
  try {
    let reached = false;
    // With a fork app: what the target holds at the instant of the first crash (invariant 7).
    let atCrash: string[] = [];
    for (const [i, point] of points.entries()) {
      const result = i === 0 ? await world.cli(['run', 'staging'], { REFORK_CRASH_AT: point }) : null;
      if (result) {
        reached = result.signal === 'SIGKILL';
        if (options.forkApp) atCrash = await unverifiedForksOnTarget(world);
      } else {
        // A later crash point: hit it during recovery.
        await leaseFree(world);
        await world.cli(['run', 'staging'], { REFORK_CRASH_AT: point });
      }
    }
    const final = await resume(world);
    const report = await checkInvariants(world, { status: ending });
    const found = [...atCrash, ...report.violations];
    const violations = found.length ? [...found, `final output: ${final.trim().split('\n').at(-1) ?? ''}`] : [];
    return { point: points.join(' then '), reached, violations };
  } finally {
    await world.close();
  }
}

/** `npm run crash`: every point in a world of its own, killed in a clean run (slower; the chains below are `npm test`'s). */
const FRESH_WORLDS = process.env.REFORK_CRASH_FRESH === '1';
/** Crash points one world takes in a row: bounds how long a chain runs and how much one violation hides. */
const CHAIN_LENGTH = 6;

const nameOf = (point: string) => point.slice(0, point.lastIndexOf('#'));

/**
 * Groups points (in the order of the recorded run) into chains a world can take one after the
 * other: each point is the kill of one process, and the next process, resuming, is killed at the
 * next point. A point joins a chain only if its boundary's name occurs nowhere in the recorded
 * run up to the chain's last point, so that the resuming process, whose counts start at 1,
 * numbers it as the clean run did.
 */
export function chainPoints(recorded: readonly string[], points: readonly string[], length = CHAIN_LENGTH): string[][] {
  const chains: string[][] = [];
  for (const point of [...points].sort((a, b) => recorded.indexOf(a) - recorded.indexOf(b))) {
    const fits = (chain: string[]) => {
      const last = chain.at(-1);
      if (last === undefined || chain.length >= length) return false;
      const seen = recorded.slice(0, recorded.indexOf(last) + 1);
      return recorded.indexOf(point) > recorded.indexOf(last) && !seen.some((p) => nameOf(p) === nameOf(point));
    };
    const chain = chains.find(fits);
    if (chain) chain.push(point);
    else chains.push([point]);
  }
  return chains;
}

const plural = (chains: number) => `${chains} chain${chains === 1 ? '' : 's'} of kills`;

/** How crashEach lays the points out in worlds, for a suite's summary line. */
export function worldsFor(recorded: readonly string[], points: readonly string[]): string {
  return FRESH_WORLDS ? 'each in a world of its own' : `in ${plural(chainPoints(recorded, points).length)}`;
}

/**
 * Kills a runner at each point and resumes, checking the invariants once no run is active. In
 * chains (chainPoints): every point is still where one process dies and a fresh one takes over,
 * at a sixth of the worlds and final resumes. A point a chain did not reach (the process before
 * it ended the run, or lost its lease on a loaded machine) is tried in a world of its own, twice
 * if need be. REFORK_CRASH_FRESH=1 gives every point its own world.
 */
export async function crashEach(
  recorded: readonly string[],
  points: readonly string[],
  options: WorldOptions = {},
  ending: Ending = 'succeeded',
): Promise<CrashResult[]> {
  const results = new Map<string, CrashResult>();
  const alone = async (point: string) => {
    const first = await crashAt([point], options, ending);
    results.set(point, first.reached ? first : await crashAt([point], options, ending));
  };
  if (FRESH_WORLDS) {
    for (const point of points) await alone(point);
  } else {
    for (const chain of chainPoints(recorded, points)) {
      const outcome = await crashChain(chain, options, ending);
      for (const [i, point] of chain.entries()) {
        if (outcome.reached[i]) results.set(point, { point, reached: true, violations: outcome.violations });
        else await alone(point);
      }
    }
  }
  return points.map((point) => results.get(point) ?? { point, reached: false, violations: [] });
}

async function crashChain(chain: string[], options: WorldOptions, ending: Ending): Promise<{ reached: boolean[]; violations: string[] }> {
  const world = await createWorld(options);
  try {
    const reached: boolean[] = [];
    const atCrash: string[] = [];
    for (const [i, point] of chain.entries()) {
      if (i > 0) await leaseFree(world);
      const result = await world.cli(['run', 'staging'], { REFORK_CRASH_AT: point });
      reached.push(result.signal === 'SIGKILL');
      if (!reached[i]) break;
      if (options.forkApp) atCrash.push(...(await unverifiedForksOnTarget(world)).map((found) => `at ${point}: ${found}`));
    }
    const final = await resume(world);
    const found = [...atCrash, ...(await checkInvariants(world, { status: ending })).violations];
    const label = `after SIGKILLs at ${chain.slice(0, reached.length).join(' then ')}`;
    const violations = found.length ? [label, ...found, `final output: ${final.trim().split('\n').at(-1) ?? ''}`] : [];
    return { reached, violations };
  } finally {
    await world.close();
  }
}

// The control database goes away (refused, or a black hole that hangs every query) while a
// run is in flight: refork starts no side effect it could not record, stops with one line
// and a non-zero exit, and `refork run` resumes cleanly once the database is back.
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { leaseFree } from '../support/resume.js';
import { createWorld, readControl, spawnCli, type CliResult, type World } from '../support/world.js';
import { activeState, ownLines, proxiedControl, until } from './control.js';
import type { TcpProxy } from './proxy.js';

let world: World | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await world?.close();
  world = undefined;
  proxy = undefined;
});

const mutations = (w: World, from: number) => w.sim.requests.slice(from).filter((r) => r.method !== 'GET');

async function setup(provisionDelayMs: number): Promise<{ w: World; p: TcpProxy; env: NodeJS.ProcessEnv }> {
  world = await createWorld({ provisionDelayMs });
  const proxied = await proxiedControl(world);
  proxy = proxied.proxy;
  return { w: world, p: proxied.proxy, env: { ...world.env, ...proxied.env } };
}

/** Runs the CLI through the proxy and keeps its output for the secrets scan. */
function run(w: World, env: NodeJS.ProcessEnv, args: string[]): { done: Promise<CliResult> } {
  const spawned = spawnCli(args, env, { killAfterMs: 90_000 });
  void spawned.done.then((r) => w.output.push(r.stdout, r.stderr));
  return spawned;
}

/**
 * Resumes the run until it has ended, then checks the invariants. A run that has ended is not
 * resumed: another `refork run` would start the next refresh (a second fork). Whether it has
 * ended is read from the control table, not from a resumer's output: on a loaded machine a
 * resumer can finish the run and still exit on a lease it could not renew.
 */
async function resumeAndCheck(w: World, env: NodeJS.ProcessEnv): Promise<void> {
  const ended = async () =>
    (await readControl(w, 'SELECT 1 FROM refork_runs')).length > 0 &&
    (await readControl(w, "SELECT 1 FROM refork_runs WHERE status = 'active'")).length === 0;
  for (let attempt = 0; attempt < 5 && !(await ended()); attempt++) {
    // A runner that stopped (or died) holds its lease until it expires.
    if (attempt > 0) await leaseFree(w);
    await run(w, env, ['run', 'staging']).done;
  }
  const report = await checkInvariants(w, { status: 'succeeded' });
  expect(report.violations).toEqual([]);
  expect(report.forksCreated).toBe(1);
}

describe('control database outages', () => {
  it('refuses to start anything without its control database: one line, exit 1, no Heroku call', async () => {
    const { w, p, env } = await setup(50);
    p.set('refuse');
    const result = await run(w, env, ['run', 'staging']).done;
    expect(result.code).toBe(1);
    expect(ownLines(result)).toHaveLength(1);
    expect(ownLines(result)[0]).toMatch(/^refork: /);
    expect(w.sim.requests).toEqual([]);
    p.set('up');
    await resumeAndCheck(w, env);
  });

  it('stops a run whose database is refused mid-wait before it anonymizes, and resumes it later', async () => {
    const { w, p, env } = await setup(2_500);
    const child = run(w, env, ['run', 'staging']);
    await until(async () => (await activeState(w)) === 'waiting', 'the run to wait for its fork');
    p.set('refuse');
    const cutAt = w.sim.requests.length;
    const result = await child.done;
    expect(result.code).toBe(1);
    expect(ownLines(result)).toHaveLength(1);
    expect(mutations(w, cutAt)).toEqual([]);
    expect(await activeState(w)).toBe('waiting'); // nothing past the last recorded transition
    p.set('up');
    await resumeAndCheck(w, env);
  });

  it('makes no Heroku mutation while its database is a black hole, and stops once it heals', async () => {
    const { w, p, env } = await setup(2_500);
    const child = run(w, env, ['run', 'staging']);
    await until(async () => (await activeState(w)) === 'waiting', 'the run to wait for its fork');
    p.set('blackhole');
    const cutAt = w.sim.requests.length;
    // Hold it past the fork becoming available and past the lease TTL.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(mutations(w, cutAt)).toEqual([]);
    expect(await activeState(w)).toBe('waiting');
    p.set('up');
    const result = await child.done;
    // The held writes land late: the runner either finds its local lease deadline passed and
    // stops (exit 1), or a late renewal kept the lease (nobody could claim it) and it finishes.
    expect(ownLines(result)).toHaveLength(1);
    expect(result.code === 1 || (result.code === 0 && /succeeded/.test(result.stdout))).toBe(true);
    await resumeAndCheck(w, env);
  });

  it('lets a black-holed runner fail with one line when the held connections are reset', async () => {
    // A fork that takes long: seeing the run wait and cutting the database are two steps of this
    // process, and on a loaded machine the runner once finished the whole run in between.
    const { w, p, env } = await setup(10_000);
    const child = run(w, env, ['run', 'staging']);
    await until(async () => (await activeState(w)) === 'waiting', 'the run to wait for its fork');
    p.set('blackhole');
    const cutAt = w.sim.requests.length;
    await new Promise((r) => setTimeout(r, 4_000));
    p.set('up', { resetHeld: true });
    const result = await child.done;
    const output = result.stdout + result.stderr;
    // The reset fails whatever query it held. Almost always that is one the run depends on: the
    // runner stops with one line. If the cut happened to catch the hand-back of a lease between two
    // polls (the run's step already saved), the runner says so and rightly carries on.
    if (result.code === 0) {
      expect(output).toMatch(/lease not handed back; it expires on its own/);
      expect(result.stdout).toMatch(/succeeded/);
    } else {
      expect(result.code, output).toBe(1);
    }
    expect(ownLines(result)).toHaveLength(1);
    expect(mutations(w, cutAt)).toEqual([]);
    await resumeAndCheck(w, env);
  });
});

// A runner frozen past its lease (SIGSTOP: a stalled dyno, a long GC pause) loses the run to
// the next runner and, once thawed, writes nothing and touches nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, readControl, until, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('lease takeover', () => {
  it('lets a new runner take over a frozen one, whose writes then all fail', async () => {
    world = await createWorld({ provisionDelayMs: 2500 });
    const w = world;
    const first = w.spawn(['run', 'staging']);
    await until(
      async () => (await readControl<{ state: string }>(w, 'SELECT state FROM refork_runs')).some((r) => r.state === 'waiting'),
      'the run to wait',
    );
    first.child.kill('SIGSTOP');
    const [{ token: frozenToken }] = (await readControl<{ token: string }>(w, 'SELECT lease_token AS token FROM refork_runs')) as [
      { token: string },
    ];
    await new Promise((r) => setTimeout(r, 2_000)); // past the 1.5 s lease

    // On a loaded machine the new runner can itself miss a 1.5 s heartbeat and fence itself
    // ("stopped: lease…"); a scheduler's next start resumes then, and so does this test.
    let second = await w.cli(['run', 'staging']);
    for (let retry = 0; retry < 2 && /stopped: lease|is held by/.test(second.stdout); retry++) second = await w.cli(['run', 'staging']);
    expect(second.stdout, second.stdout + second.stderr).toMatch(/succeeded/);
    const eventsBefore = await readControl(w, 'SELECT * FROM refork_run_events');
    const requestsBefore = w.sim.requests.length;

    first.child.kill('SIGCONT');
    const thawed = await first.done;
    expect(thawed.stdout, thawed.stdout + thawed.stderr).toMatch(/stopped: (lease|a fenced write)/);
    expect(thawed.code).toBe(1);
    const eventsAfter = await readControl(w, 'SELECT * FROM refork_run_events');
    expect(eventsAfter).toEqual(eventsBefore);
    // Reads may have been in flight when it froze, but no Heroku mutation came from it afterwards.
    const late = w.sim.requests.slice(requestsBefore).filter((r) => r.method !== 'GET');
    expect(late).toEqual([]);
    const [run] = await readControl<{ token: string }>(w, 'SELECT lease_token AS token FROM refork_runs');
    expect(Number(run?.token)).toBeGreaterThan(Number(frozenToken));
    expect((await checkInvariants(w, { status: 'succeeded' })).violations).toEqual([]);
  });

  it('adopts the fork when the create was applied but its answer was lost', async () => {
    world = await createWorld();
    world.sim.faults.add({ method: 'POST', path: /^\/apps\/acme-staging\/addons$/, kind: 'applyThenDrop' });
    const result = await world.cli(['run', 'staging']);
    expect(result.stdout).toMatch(/succeeded/);
    const report = await checkInvariants(world, { status: 'succeeded' });
    expect(report.violations).toEqual([]);
    expect(report.forksCreated).toBe(1);
    expect(world.sim.requests.filter((r) => r.method === 'POST' && r.path === '/apps/acme-staging/addons')).toHaveLength(1);
  });
});

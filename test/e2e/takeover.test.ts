// A runner frozen past its lease (SIGSTOP: a stalled dyno, a long GC pause) loses the run to
// the next runner and, once thawed, writes nothing and touches nothing.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, readControl, until, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('lease takeover', () => {
  it('lets a new runner take over a frozen one, whose writes then all fail', async () => {
    // The fork stays "preparing" until the test advances it, so the frozen runner is in
    // `waiting` whatever the machine's speed.
    world = await createWorld({ waitingMs: 3_600_000 });
    const w = world;
    // Leases far longer than the test: no runner loses one to a slow heartbeat on a busy machine.
    const long = { REFORK_LEASE_TTL_MS: '600000' };
    const run = async () =>
      (
        await readControl<{ state: string; token: string; expired: boolean }>(
          w,
          'SELECT state, lease_token AS token, lease_expires_at <= now() AS expired FROM refork_runs',
        )
      )[0];
    const backends = async () =>
      (
        await readControl<{ active: string; inTransaction: string }>(
          w,
          `SELECT count(*) FILTER (WHERE state = 'active') AS active,
                  count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS "inTransaction"
             FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'refork'`,
        )
      )[0] ?? { active: '0', inTransaction: '0' };

    const first = w.spawn(['run', 'staging'], long);
    // A failed expectation must not leave a stopped process behind.
    onTestFinished(() => {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    });
    await until(async () => (await run())?.state === 'waiting', 'the run to wait for its fork', 120_000);
    // Frozen between two transactions: frozen inside one, it would hold the run's row lock until
    // the server's idle-in-transaction timeout (the store's own tests cover that).
    for (;;) {
      first.child.kill('SIGSTOP');
      await until(async () => (await backends()).active === '0', 'its statements in flight to finish', 60_000);
      if ((await backends()).inTransaction === '0') break;
      first.child.kill('SIGCONT');
      await until(async () => (await backends()).inTransaction === '0', 'its transaction to end', 60_000);
    }
    expect(first.child.exitCode).toBeNull();
    const frozenToken = Number((await run())?.token);
    // Frozen past its lease: what the database clock says once the lease's time has gone by.
    await readControl(w, "UPDATE refork_runs SET lease_expires_at = now() - interval '1 second'");
    expect((await run())?.expired).toBe(true);

    const second = w.spawn(['run', 'staging'], long);
    await until(async () => Number((await run())?.token) > frozenToken, 'the new runner to claim the run', 120_000);
    const fork = w.sim.addons('acme-staging').find((addon) => addon.name.startsWith('refork-'));
    if (!fork) throw new Error('no fork was created');
    // Each call moves the data API's view one phase on (404, preparing, available).
    while ((await w.sim.advanceDatabase(fork.id)) !== 'available') continue;
    const taken = await second.done;
    expect(taken.code, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stdout).toMatch(/succeeded/);
    const eventsBefore = await readControl(w, 'SELECT * FROM refork_run_events');
    const requestsBefore = w.sim.requests.length;

    first.child.kill('SIGCONT');
    const thawed = await first.done;
    // Frozen while it held the run (a poll in flight), its next write is fenced and it stops.
    // Frozen between two polls, it held nothing (a waiting run is a row that is due later, not a
    // process): thawed, its next claim finds the run the other runner finished, and says so.
    // Either way it writes nothing and asks Heroku for nothing (below).
    if (/stopped:/.test(thawed.stdout)) {
      expect(thawed.stdout, thawed.stdout + thawed.stderr).toMatch(/stopped: (lease|a fenced write)/);
      expect(thawed.code).toBe(1);
    } else {
      expect(thawed.stdout, thawed.stdout + thawed.stderr).toMatch(/run .* succeeded/);
      expect(thawed.code).toBe(0);
    }
    const eventsAfter = await readControl(w, 'SELECT * FROM refork_run_events');
    expect(eventsAfter).toEqual(eventsBefore);
    // Reads may have been in flight when it froze, but no Heroku mutation came from it afterwards.
    const late = w.sim.requests.slice(requestsBefore).filter((r) => r.method !== 'GET');
    expect(late).toEqual([]);
    expect(Number((await run())?.token)).toBeGreaterThan(frozenToken);
    expect((await checkInvariants(w, { status: 'succeeded' })).violations).toEqual([]);
  }, 300_000);

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

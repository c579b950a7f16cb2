// Heroku outages ridden out, in simulated hours: refork's clock runs 1800 times faster than
// the wall clock (one real second is half an hour), with production's retry and poll pacing.
// The API is down for two hours while a run waits for its fork; for an hour while it
// compensates; and the fork's connections are cut while it verifies.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serverUrl } from '../support/databases.js';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, readControl, until, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SCALE = 1_800;
const HOUR = 3_600_000;
const real = (simulatedMs: number) => simulatedMs / SCALE;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Production pacing (15 s doubling to 10 min between tries; polls from 5 s to a minute) on the scaled clock. */
function simulatedTime(): NodeJS.ProcessEnv {
  return {
    REFORK_TIME_SCALE: String(SCALE),
    REFORK_TIME_ORIGIN: String(Date.now()),
    REFORK_RETRY_BASE_MS: '15000',
    REFORK_RETRY_MAX_MS: '600000',
    REFORK_POLL_MIN_MS: '5000',
    REFORK_POLL_MAX_MS: '60000',
  };
}

const outage = { status: 503, id: 'service_unavailable', message: 'Heroku is down (chaos)' };
/** Heroku's bucket refills in simulated time too, or the scaled polling would drain it. */
const rateLimit = { capacity: 4_500, refillPerMinute: 75 * SCALE };

/** The active run, if any (nothing before refork has created its tables). */
async function state(w: World): Promise<{ state: string; error: string | null } | undefined> {
  const rows = await readControl<{ state: string; error: string | null }>(
    w,
    "SELECT state, error FROM refork_runs WHERE status = 'active'",
  ).catch(() => []);
  return rows[0];
}

async function events(
  w: World,
  type: string,
): Promise<Array<{ to_state: string; detail: { error?: { retryable?: boolean; code?: string } } }>> {
  return readControl(w, 'SELECT to_state, detail FROM refork_run_events WHERE type = $1 ORDER BY seq', [type]);
}

describe('Heroku outages', () => {
  it('rides out the API down for two simulated hours while waiting for the fork, then succeeds', { timeout: 120_000 }, async () => {
    world = await createWorld({ provisionDelayMs: real(1.5 * HOUR), rateLimit });
    const w = world;
    const env = simulatedTime();
    const running = w.spawn(['run', 'staging'], env);
    await until(async () => (await state(w))?.state === 'waiting', 'the run to wait for its fork');
    w.sim.faults.add({ path: /.*/, times: Number.POSITIVE_INFINITY, kind: outage });
    await sleep(real(2 * HOUR));
    w.sim.faults.clear();

    const result = await running.done;
    expect(result.stdout).toMatch(/succeeded/);
    expect((await checkInvariants(w, { status: 'succeeded' })).violations).toEqual([]);
    // It really was down, and the waiting step failed and was tried again, never given up.
    expect(w.sim.requests.filter((r) => r.fault === 'status 503').length).toBeGreaterThan(5);
    const failures = await events(w, 'xstate.error.actor.waitForFork');
    expect(failures.length).toBeGreaterThan(2);
    expect(failures.every((e) => e.to_state === 'waiting' && e.detail.error?.retryable === true)).toBe(true);
    expect(await readControl(w, "SELECT 1 FROM refork_run_events WHERE to_state = 'compensating'")).toEqual([]);
  });

  it(
    'keeps trying to destroy its fork through an hour of outage, reports the run stuck once, and destroys it once Heroku is back',
    {
      timeout: 120_000,
    },
    async () => {
      // Two days' wait allowed: on a busy machine the abort may come many simulated hours after the
      // wait began (a real second is half an hour), and it must find the run still waiting or later.
      world = await createWorld({ provisionDelayMs: real(10 * HOUR), rateLimit, pipeline: { max_wait_minutes: 48 * 60 } });
      const w = world;
      const env = simulatedTime();
      const running = w.spawn(['run', 'staging'], env);
      await until(async () => (await state(w))?.state === 'waiting', 'the run to wait for its fork');
      w.sim.faults.add({ path: /.*/, times: Number.POSITIVE_INFINITY, kind: outage });
      const downAt = Date.now();
      // The abort needs only the control database: the run turns to compensation, which fails.
      const abort = w.spawn(['abort', 'staging'], env);
      await until(async () => {
        const run = await state(w);
        return run?.state === 'compensating' && /compensating: .*503/.test(run.error ?? '');
      }, 'compensation to fail against the outage');
      const status = await w.cli(['status', 'staging'], env);
      expect(status.stdout).toMatch(/retrying: compensating since .* retries until Heroku answers\): .*503/);
      await sleep(Math.max(0, real(HOUR) - (Date.now() - downAt)));
      // Reported stuck once its retries have slowed to the steady pace (about seven failed tries);
      // on a busy machine the tries of the first hour may be fewer, so the outage lasts until then.
      await until(
        async () => (await readControl(w, "SELECT 1 FROM refork_notifications WHERE kind = 'stuck'")).length > 0,
        'the run to be reported stuck',
      );
      expect((await state(w))?.state).toBe('compensating');
      expect(w.sim.addons('acme-staging').some((a) => a.name.startsWith('refork-'))).toBe(true);
      w.sim.faults.clear();

      const [ran, aborted] = await Promise.all([running.done, abort.done]);
      expect(`${ran.stdout}${aborted.stdout}`).toMatch(/aborted \(fork destroyed, staging untouched\)/);
      expect((await checkInvariants(w, { status: 'aborted' })).violations).toEqual([]);
      // Stuck once (recorded once, whoever noticed), and the end: each notice once.
      const notices = await readControl<{ kind: string }>(w, 'SELECT kind FROM refork_notifications ORDER BY created_at');
      expect(notices.map((notice) => notice.kind)).toEqual(['stuck', 'aborted']);
    },
  );

  it('retries verification whose connection was cut, and succeeds on the same fork', { timeout: 120_000 }, async () => {
    world = await createWorld({ customers: 6_000, rateLimit });
    const w = world;
    const running = w.spawn(['run', 'staging'], simulatedTime());
    // Cut the fork's sessions each time the run is seen verifying, until one cut hits a session.
    // One session each for watching and cutting, so a look takes a millisecond, not a connect.
    const control = new pg.Client({ connectionString: w.control.url });
    const server = new pg.Client({ connectionString: serverUrl() });
    await Promise.all([control.connect(), server.connect()]);
    let cuts = 0;
    try {
      while (cuts === 0 && running.child.exitCode === null) {
        const run = await control
          .query<{ state: string }>("SELECT state FROM refork_runs WHERE status = 'active'")
          .then((result) => result.rows[0])
          .catch(() => undefined);
        const fork = w.sim.addons('acme-staging').find((a) => a.name.startsWith('refork-'));
        if (run?.state === 'verifying' && fork) {
          const cut = await server.query<{ n: number }>(
            'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1',
            [fork.databaseName],
          );
          cuts += cut.rows[0]?.n ?? 0;
        }
        await sleep(2);
      }
    } finally {
      await Promise.all([control.end(), server.end()]);
    }
    const result = await running.done;
    expect(cuts).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/succeeded/);
    const report = await checkInvariants(w, { status: 'succeeded' });
    expect(report.violations).toEqual([]);
    expect(report.forksCreated).toBe(1);
    const failures = await events(w, 'xstate.error.actor.verify');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((e) => e.to_state === 'verifying' && e.detail.error?.code === 'verification_incomplete')).toBe(true);
  });
});

// Running refork for real: scheduler ticks, SIGTERM, abort, gc, history and events.
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { leaseFree, resume } from '../support/resume.js';
import { createWorld, readControl, until, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const inState = (w: World, state: string) => async () =>
  (await readControl<{ state: string }>(w, "SELECT state FROM refork_runs WHERE status = 'active'")).some((r) => r.state === state);

describe('refork tick', () => {
  it('starts a due run, then does nothing until the schedule comes round again', async () => {
    world = await createWorld({ pipeline: { schedule: '0 3 * * *', timezone: 'Europe/Berlin' } });
    const first = await world.cli(['tick']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/staging: run .+ succeeded/);
    const second = await world.cli(['tick']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('');
    expect(await readControl(world, 'SELECT id FROM refork_runs')).toHaveLength(1);
  });

  it('starts one run when ten ticks come at once', { timeout: 300_000 }, async () => {
    world = await createWorld({ provisionDelayMs: 1_000, pipeline: { schedule: '0 3 * * *' } });
    const w = world;
    // Ten processes at once on a busy machine: leases far longer than the test, so none is lost
    // to a slow heartbeat (that is the takeover tests' subject, not this one's).
    const ticks = await Promise.all(Array.from({ length: 10 }, () => w.cli(['tick'], { REFORK_LEASE_TTL_MS: '600000' })));
    // Whoever did not start or resume the run found it held, or found nothing due any more.
    for (const tick of ticks) expect(tick.stdout, tick.stderr).toMatch(/^$|succeeded|is held by|paused/);
    expect(ticks.filter((tick) => /succeeded/.test(tick.stdout)).length).toBeLessThanOrEqual(1);
    const runs = await readControl<{ id: string }>(w, 'SELECT id FROM refork_runs');
    expect(runs).toHaveLength(1);
    // On a loaded machine the starter can miss its lease; a later tick finishes the same run.
    await until(
      async () =>
        (await w.cli(['tick'])).stdout === '' && (await readControl(w, "SELECT id FROM refork_runs WHERE status = 'active'")).length === 0,
      'the run to end',
      180_000,
    );
    expect(await readControl(w, 'SELECT id FROM refork_runs')).toHaveLength(1);
    const report = await checkInvariants(w, { status: 'succeeded' });
    expect(report.violations).toEqual([]);
    expect(report.forksCreated).toBe(1);
  });

  it('never starts a pipeline without a schedule, but resumes its interrupted run', async () => {
    world = await createWorld();
    expect((await world.cli(['tick'])).stdout).toBe('');
    const crashed = await world.cli(['run', 'staging'], { REFORK_CRASH_AT: 'effect:anonymize:before#1' });
    expect(crashed.signal).toBe('SIGKILL');
    await leaseFree(world);
    const resumed = await world.cli(['tick']);
    expect(resumed.stdout).toMatch(/succeeded/);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
  });

  it('pauses a long wait when its budget runs out and continues at the next tick', async () => {
    world = await createWorld({ provisionDelayMs: 4_000, pipeline: { schedule: '* * * * *' } });
    const first = await world.cli(['tick', '--budget-minutes', '0.02']);
    expect(first.stdout).toMatch(/paused in (forking|waiting)/);
    const [run] = await readControl<{ status: string; expired: boolean }>(
      world,
      'SELECT status, lease_expires_at <= now() AS expired FROM refork_runs',
    );
    expect(run).toEqual({ status: 'active', expired: true });
    let last = '';
    for (let i = 0; i < 10 && !/succeeded/.test(last); i++) last = (await world.cli(['tick', '--budget-minutes', '0.05'])).stdout;
    expect(last).toMatch(/succeeded/);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
  });
});

describe('SIGTERM', () => {
  it('stops in the current step, releases the lease, exits 0; the next run resumes at once', async () => {
    world = await createWorld({ provisionDelayMs: 3_000 });
    const w = world;
    const running = w.spawn(['run', 'staging']);
    await until(inState(w, 'waiting'), 'the run to wait');
    running.child.kill('SIGTERM');
    const stopped = await running.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/stopped in waiting on shutdown/);
    const [run] = await readControl<{ expired: boolean }>(w, 'SELECT lease_expires_at <= now() AS expired FROM refork_runs');
    expect(run?.expired).toBe(true);
    const resumed = await w.cli(['run', 'staging']);
    expect(resumed.stdout).toMatch(/succeeded/);
    expect((await checkInvariants(w, { status: 'succeeded' })).violations).toEqual([]);
  });
});

describe('refork abort', () => {
  it('makes the runner holding the run compensate and end aborted', async () => {
    // A fork that takes long: the abort command's own start-up must not outlast the wait.
    world = await createWorld({ provisionDelayMs: 30_000 });
    const w = world;
    const running = w.spawn(['run', 'staging']);
    await until(inState(w, 'waiting'), 'the run to wait');
    const abort = await w.cli(['abort', 'staging']);
    // The abort makes the run due at once: whichever process takes it first compensates.
    expect(abort.stdout).toMatch(/abort requested for run .+ acts on it|aborted \(fork destroyed, staging untouched\)/);
    const ended = await running.done;
    expect(ended.stdout).toMatch(/aborted \(fork destroyed, staging untouched\)/);
    expect((await checkInvariants(w, { status: 'aborted' })).violations).toEqual([]);
  });

  it('compensates at once when no runner holds the run', async () => {
    world = await createWorld();
    const crashed = await world.cli(['run', 'staging'], { REFORK_CRASH_AT: 'effect:anonymize:before#1' });
    expect(crashed.signal).toBe('SIGKILL');
    await leaseFree(world);
    const abort = await world.cli(['abort', 'staging']);
    // On a starved machine the compensating process can miss its 1.5 s lease and stop, as it
    // must (seen under two busy loops); the next process finishes the compensation.
    if (!/aborted/.test(abort.stdout)) {
      expect(abort.stdout).toMatch(/stopped: lease deadline passed without a renewal/);
      await resume(world);
    }
    expect((await checkInvariants(world, { status: 'aborted' })).violations).toEqual([]);
    expect((await world.cli(['abort', 'staging'])).stdout).toMatch(/no active run to abort/);
  });
});

describe('refork gc', () => {
  it('lists refork add-ons no live run owns, and destroys them only with --yes', async () => {
    world = await createWorld();
    await world.sim.addDatabase('acme-staging', { name: 'refork-staging-0123456789ab', as: 'REFORK_01234567' });
    const listed = await world.cli(['gc']);
    expect(listed.stdout).toMatch(/acme-staging {2}refork-staging-0123456789ab/);
    expect(listed.stdout).toMatch(/run `refork gc --yes`/);
    expect(world.sim.addons('acme-staging').map((a) => a.name)).toContain('refork-staging-0123456789ab');
    const destroyed = await world.cli(['gc', '--yes']);
    expect(destroyed.stdout).toMatch(/refork-staging-0123456789ab .* destroyed/);
    await until(async () => !world?.sim.addons('acme-staging').some((a) => a.name === 'refork-staging-0123456789ab'), 'the orphan to go');
  });

  it('never offers the add-on attached as DATABASE', async () => {
    world = await createWorld();
    expect((await world.cli(['run', 'staging'])).stdout).toMatch(/succeeded/);
    const listed = await world.cli(['gc', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual({ orphans: [], destroyed: [] });
  });
});

describe('refork history and events', () => {
  it('lists runs with their outcome and a run with its transitions', async () => {
    world = await createWorld();
    await world.cli(['run', 'staging']);
    const history = await world.cli(['history', '--json']);
    const runs = JSON.parse(history.stdout) as Array<{ runId: string; status: string; durationMs: number }>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    const events = await world.cli(['events', runs[0]?.runId ?? '']);
    expect(events.stdout).toMatch(/preflight → forking/);
    expect(events.stdout).toMatch(/cleaning → succeeded/);
    expect((await world.cli(['events', 'nope'])).stderr).toMatch(/is not a run id/);
  });
});

describe('notifications', () => {
  async function receiver() {
    const { createServer } = await import('node:http');
    const bodies: Array<{ text: string; refork: { kind: string; id: string } }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as { text: string; refork: { kind: string; id: string } });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `http://127.0.0.1:${port}/hooks/T000/secret-path`, bodies, close: () => new Promise((r) => server.close(r)) };
  }

  it('posts a Slack-compatible message on success and on failure', async () => {
    const hook = await receiver();
    try {
      world = await createWorld();
      await world.cli(['run', 'staging'], { REFORK_WEBHOOK_URL: hook.url });
      world.sim.failNextFork();
      await world.cli(['run', 'staging'], { REFORK_WEBHOOK_URL: hook.url });
      expect(hook.bodies.map((b) => b.refork.kind)).toEqual(['succeeded', 'failed']);
      expect(hook.bodies[0]?.text).toMatch(/^refork: staging refreshed from production in \d+s/);
      expect(hook.bodies[1]?.text).toMatch(/FAILED in failed .*fork refork-staging-\w+ failed/);
      expect(world.output.join('\n')).not.toContain('secret-path');
    } finally {
      await hook.close();
    }
  });

  it('a tick sends the end notice a killed process had not marked sent, with the same id', async () => {
    const hook = await receiver();
    try {
      world = await createWorld();
      const env = { REFORK_WEBHOOK_URL: hook.url, REFORK_NOTIFY_HOLD_MS: '500' };
      const killed = await world.cli(['run', 'staging'], { ...env, REFORK_CRASH_AT: 'notify:succeeded:sent' });
      expect(killed.signal).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 600)); // the notice's hold runs out
      const tick = await world.cli(['tick'], env);
      expect(tick.code).toBe(0);
      expect(hook.bodies.map((b) => b.refork.kind)).toEqual(['succeeded', 'succeeded']);
      expect(hook.bodies[1]?.refork.id).toBe(hook.bodies[0]?.refork.id);
      expect(await readControl(world, 'SELECT kind FROM refork_notifications WHERE delivered_at IS NULL')).toEqual([]);
      expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('reports a run stuck once, sends the same notice again after a kill, and never fails a run for a dead webhook', async () => {
    const hook = await receiver();
    try {
      world = await createWorld({ provisionDelayMs: 5_000, config: { notify: { stuck_after_minutes: 0.001 } } });
      const w = world;
      const env = { REFORK_WEBHOOK_URL: hook.url, REFORK_NOTIFY_HOLD_MS: '1000' };
      // Killed after the webhook took the stuck notice, before it was marked delivered.
      const first = await w.cli(['run', 'staging'], { ...env, REFORK_CRASH_AT: 'notify:stuck:sent' });
      expect(first.signal).toBe('SIGKILL');
      expect(hook.bodies.map((b) => b.refork.kind)).toEqual(['stuck']);
      await new Promise((r) => setTimeout(r, 1_600)); // the lease and the notice's hold run out
      const second = await w.cli(['run', 'staging', '--budget-minutes', '0.01'], env);
      expect(second.stdout).toMatch(/paused|succeeded/);
      // At least once, and recognisably the same notice: never a second "stuck".
      const stuck = hook.bodies.filter((b) => b.refork.kind === 'stuck');
      expect(stuck).toHaveLength(2);
      expect(new Set(stuck.map((b) => b.refork.id)).size).toBe(1);
      const third = await w.cli(['run', 'staging'], { REFORK_WEBHOOK_URL: 'http://127.0.0.1:9/nobody-listens' });
      expect(third.stdout).toMatch(/succeeded/);
      expect(third.stderr).toMatch(/notification failed/);
      // The end notice nobody took stays owed, for a later beat to send.
      const notices = await readControl<{ kind: string; delivered: boolean }>(
        w,
        'SELECT kind, delivered_at IS NOT NULL AS delivered FROM refork_notifications ORDER BY created_at',
      );
      expect(notices).toEqual([
        { kind: 'stuck', delivered: true },
        { kind: 'succeeded', delivered: false },
      ]);
    } finally {
      await hook.close();
    }
  });
});

describe('refork doctor', () => {
  it('passes every check on a sound setup and changes nothing', async () => {
    world = await createWorld();
    const result = await world.cli(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ control database: reachable/);
    expect(result.stdout).toMatch(/✓ pipeline staging: forks .+ from acme-prod into acme-staging/);
    expect(result.stdout).toMatch(/✓ disk staging: the fork plan's 64 GB hold the source's [\d.]+ MB and masking's peak of [\d.]+ .B/);
    expect(world.sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('refuses a fork plan too small for the source in one line naming the fix, and creates nothing', async () => {
    world = await createWorld();
    const small = await world.cli(['doctor'], { REFORK_CONFIG: await writeConfig(world, { disk: { storage_gb: 0.001 } }) });
    expect(small.code).toBe(1);
    expect(small.stdout).toMatch(
      /✗ pipeline staging: source .+ holds [\d.]+ MB, more than the 1 MB of the fork plan heroku-postgresql:standard-0: Heroku's plan list gives heroku-postgresql:standard-0 64 GB: correct disk.storage_gb in refork.yml, or choose a larger plan\n/,
    );
    expect(world.sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('names the problem and its fix when the source cannot be forked', async () => {
    world = await createWorld();
    await world.sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:essential-0', as: 'SMALL' });
    const bad = await world.cli(['doctor'], {
      REFORK_CONFIG: await writeConfig(world, { source: { app: 'acme-prod', database: 'SMALL' } }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /✗ pipeline staging: source .+ is on plan heroku-postgresql:essential-0, which Heroku cannot fork: upgrade it/,
    );
  });
});

describe('refork status', () => {
  it('shows the next scheduled refresh in the pipeline time zone', async () => {
    world = await createWorld({ pipeline: { schedule: '0 3 * * *', timezone: 'Asia/Tokyo' } });
    const status = JSON.parse((await world.cli(['status', '--json'])).stdout) as Array<{ nextScheduledAt: string }>;
    expect(new Date(status[0]?.nextScheduledAt ?? '').getUTCHours()).toBe(18); // 03:00 in Tokyo
  });
});

async function writeConfig(w: World, pipeline: Record<string, unknown>): Promise<string> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const config = JSON.parse(await readFile(w.configPath, 'utf8')) as { pipelines: { staging: Record<string, unknown> } };
  config.pipelines.staging = { ...config.pipelines.staging, ...pipeline };
  const path = `${w.configPath}.alt.yml`;
  await writeFile(path, JSON.stringify(config));
  return path;
}

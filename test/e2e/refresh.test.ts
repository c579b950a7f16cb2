// The whole refresh through the real CLI (child processes) against the simulator and a real
// PostgreSQL: the happy path, Heroku faults, a failed fork, concurrency, bad input.
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery } from '../support/databases.js';
import { checkInvariants } from '../support/invariants.js';
import { ANONYMIZE_KEY, TOKEN, createWorld, readControl, stagingDatabase, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('refork run, end to end', () => {
  it('forks production, anonymizes, promotes, destroys the old database', async () => {
    world = await createWorld();
    const result = await world.cli(['run', 'staging']);
    expect(result.stderr.split('\n').filter((l) => l.includes('"level":"error"'))).toEqual([]);
    expect(result.stdout).toMatch(/staging: run [0-9a-f-]+ succeeded/);
    expect(result.code).toBe(0);

    const report = await checkInvariants(world, { status: 'succeeded' });
    expect(report.violations).toEqual([]);
    expect(report.forksCreated).toBe(1);
    expect(stagingDatabase(world)).toMatch(/^refork-staging-[0-9a-f]{12}$/);
    expect(world.attachChecks.filter((c) => c.addon.startsWith('refork-'))).toEqual([expect.objectContaining({ anonymized: true })]);
    // The fork's temporary attachment is gone; the old database left no alias behind.
    expect(
      world.sim
        .attachments('acme-staging')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['DATABASE']);

    // Production still holds the real data.
    const prod = await adminQuery(
      world.sim.databaseUrl(world.prodAddon),
      "SELECT count(*)::int AS n FROM customers WHERE email LIKE '%@mail%.example.com'",
    );
    expect(prod.rows[0]?.n).toBe(200);
  });

  it('shows the run and its steps in `refork status`', async () => {
    world = await createWorld();
    expect((await world.cli(['run', 'staging'])).code).toBe(0);
    const json = await world.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const [summary] = JSON.parse(json.stdout) as Array<{
      pipeline: string;
      last: { status: string; steps: Array<{ step: string }>; fork: string };
    }>;
    expect(summary?.last.status).toBe('succeeded');
    expect(summary?.last.steps.map((s) => s.step)).toEqual([
      'preflight',
      'forking',
      'waiting',
      'anonymizing',
      'fixingUp',
      'verifying',
      'promoting',
      'cleaning',
      'succeeded',
    ]);
    const text = await world.cli(['status', 'staging']);
    expect(text.stdout).toContain('last successful refresh: 20');
    expect(text.stdout).toMatch(/steps: preflight \d+s → forking/);
  });

  it('rides out 500s and 429s on every Heroku call', async () => {
    world = await createWorld();
    for (const path of [/^\/apps\/acme-staging\/addons$/, /\/addon-attachments/, /wait_status$/, /config-vars$/, /^\/addons\//]) {
      world.sim.faults.add({ path, times: 2, kind: { status: 503, id: 'unavailable', message: 'try later' } });
    }
    world.sim.faults.add({
      path: /.*/,
      times: 3,
      kind: { status: 429, id: 'rate_limit', message: 'Your account reached the API rate limit', retryAfterSeconds: 0 },
    });
    const result = await world.cli(['run', 'staging']);
    expect(result.stdout).toContain('succeeded');
    const report = await checkInvariants(world, { status: 'succeeded' });
    expect(report.violations).toEqual([]);
    expect(world.sim.requests.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(5);
  });

  it('ends failed with the fork destroyed and staging untouched when the fork fails to provision', async () => {
    world = await createWorld();
    world.sim.failNextFork({ message: 'Could not communicate with vendor, please try again later' });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed: waiting: fork refork-staging-\w+ failed/);
    const report = await checkInvariants(world, { status: 'failed' });
    expect(report.violations).toEqual([]);
    expect(stagingDatabase(world)).toBe(world.oldStagingAddon);
  });

  it('runs one refresh when two runners start at once; the other says who holds it', async () => {
    world = await createWorld({ provisionDelayMs: 400 });
    const [a, b] = await Promise.all([world.cli(['run', 'staging']), world.cli(['run', 'staging'])]);
    const outputs = [a.stdout, b.stdout];
    expect(outputs.filter((o) => /succeeded/.test(o))).toHaveLength(1);
    expect(outputs.filter((o) => /is held by .+ until/.test(o))).toHaveLength(1);
    expect([a.code, b.code]).toEqual([0, 0]);
    const runs = await readControl(world, 'SELECT id FROM refork_runs');
    expect(runs).toHaveLength(1);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
  });

  it('rejects a bad config with one line naming the key, and creates nothing', async () => {
    world = await createWorld({ pipeline: { target: { app: 'Not An App' } } });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/pipelines\.staging\.target\.app/);
    expect(world.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(2); // the two seeded databases
  });

  it('fails in preflight on a bad token with one line, and creates nothing', async () => {
    world = await createWorld();
    const result = await world.cli(['run', 'staging'], { HEROKU_API_KEY: 'not-the-token' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed: preflight: .*401 unauthorized/);
    expect(world.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(2);
    expect(result.stdout + result.stderr).not.toContain('not-the-token');
  });

  it("refuses a control database that is the target's DATABASE, before creating anything", async () => {
    world = await createWorld();
    const result = await world.cli(['run', 'staging'], { REFORK_DATABASE_URL: world.sim.databaseUrl(world.oldStagingAddon) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed: preflight: REFORK_DATABASE_URL is acme-staging's DATABASE_URL/);
    expect(world.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(2);
  });

  it('never prints the token, the anonymization key or a database password', async () => {
    const w = (world = await createWorld());
    await w.cli(['run', 'staging']);
    await w.cli(['status']);
    await w.cli(['status', '--json']);
    const everything = w.output.join('\n');
    const passwords = w.sim.addons().map((a) => new URL(w.sim.databaseUrl(a.id)).password);
    const control = new URL(world.control.url).password;
    for (const secret of [TOKEN, ANONYMIZE_KEY, control, ...passwords]) expect(everything).not.toContain(secret);
    const events = await readControl<{ detail: unknown; error: string | null }>(
      world,
      'SELECT e.detail, r.error FROM refork_run_events e JOIN refork_runs r ON r.id = e.run_id',
    );
    const stored = JSON.stringify(events);
    for (const secret of [TOKEN, ANONYMIZE_KEY, ...passwords]) expect(stored).not.toContain(secret);
  });
});

describe('a staging app with a release phase', () => {
  it('waits for the release that promotion triggers, then cleans up', async () => {
    world = await createWorld({ releasePhase: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.stdout).toMatch(/succeeded/);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    const events = world.sim.events;
    const attached = events.find(
      (e) =>
        e.type === 'release.updated' &&
        /Attach DATABASE \(@ref:refork-/.test(String(e.detail?.description)) &&
        e.detail?.status === 'succeeded',
    );
    const destroyed = events.find((e) => e.type === 'addon.destroy_requested' && e.addon?.name === world?.oldStagingAddon);
    expect(attached?.seq).toBeLessThan(destroyed?.seq ?? 0);
  });

  it('ends failed, on the verified fork, with the old database kept for a rollback, when that release fails', async () => {
    world = await createWorld({ releasePhase: true, failReleaseOnPromote: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /failed: promoting: promoted refork-staging-\w+, but the release phase of v\d+ .*failed; the old database .* is kept for a rollback/,
    );
    expect(stagingDatabase(world)).toMatch(/^refork-staging-/);
    expect(world.sim.addons('acme-staging').map((a) => a.name)).toContain(world.oldStagingAddon);
    expect(world.attachChecks.filter((c) => c.addon.startsWith('refork-')).every((c) => c.anonymized)).toBe(true);
  });
});

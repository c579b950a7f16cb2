// Secrets never leave refork: not in a log line, an error, status/history/events/doctor
// output, or a stored event row; database URLs appear without their password. Every world
// in every suite is scanned when it closes (test/support/world.ts + ./scan.ts); this file
// proves that scan can fail, and drives every output surface once with errors in play.
import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMIZE_KEY, TOKEN, createWorld, readControl, type World } from '../support/world.js';
import { resume } from '../support/resume.js';
import { findLeaks } from './scan.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the secrets scan', () => {
  it('finds a registered secret and a URL with its password', () => {
    const leaks = findLeaks(
      [
        { where: 'a', text: `token ${TOKEN} here` },
        { where: 'b', text: 'connect postgres://u_1:s3cr3t-pass@db.example:5432/d failed' },
        { where: 'c', text: 'postgres://u_1:***@db.example:5432/d is fine' },
      ],
      [TOKEN],
    );
    expect(leaks).toHaveLength(2);
    expect(leaks.join(' ')).not.toContain(TOKEN);
    expect(leaks.join(' ')).not.toContain('s3cr3t-pass');
  });

  it("fails a world's teardown when its output leaked a secret", async () => {
    const w = await createWorld();
    w.output.push(`oops ${ANONYMIZE_KEY}`);
    await expect(w.close()).rejects.toThrow(/secrets scan: 1 leak/);
  });

  it("fails a world's teardown when a stored event row holds a database password", async () => {
    const w = await createWorld();
    const password = new URL(w.sim.databaseUrl(w.oldStagingAddon)).password;
    w.secrets.add(password);
    await w.cli(['migrate']);
    const [run] = await readControl<{ id: string }>(
      w,
      "INSERT INTO refork_runs (id, pipeline, status, state, snapshot, machine_version, lease_token) VALUES (gen_random_uuid(), 'x', 'failed', 'failed', '{}'::jsonb, 1, 0) RETURNING id",
    );
    await readControl(
      w,
      "INSERT INTO refork_run_events (run_id, seq, type, from_state, to_state, detail) VALUES ($1, 1, 't', 'a', 'b', $2::jsonb)",
      [run?.id, JSON.stringify({ url: password })],
    );
    await expect(w.close()).rejects.toThrow(/refork_run_events row 0 contains a secret/);
  });
});

describe('no secret on any output surface', () => {
  // Fifteen CLI processes in one test: bounded generously for a loaded 2-core machine. Forks on
  // staging, and on a private fork app whose config vars hold every fork's URL.
  it.each([
    ['forks on the target', {}],
    ['forks on a fork app', { forkApp: true, previousFork: true }],
  ] as const)(
    'keeps the token, the key, every password and the webhook out of logs, errors, status and events (%s)',
    { timeout: 240_000 },
    async (_, options) => {
      world = await createWorld(options);
      const w = world;
      const webhook = 'http://127.0.0.1:9/hooks/T000/very-secret-webhook-path';
      const env = { REFORK_WEBHOOK_URL: webhook, REFORK_WEBHOOK_FORMAT: 'json', REFORK_WEBHOOK_SECRET: 'very-secret-webhook-signing-key' };
      // Errors on the way: 5xx and a lost answer, then a failed fork, then a clean run.
      w.sim.faults.add({ path: /config-vars$/, times: 2, kind: { status: 503, id: 'unavailable', message: 'try later' } });
      w.sim.faults.add({ method: 'POST', path: new RegExp(`^/apps/${w.forkApp}/addons$`), kind: 'applyThenDrop' });
      w.sim.failNextFork({ message: `could not fork ${w.sim.databaseUrl(w.prodAddon)}` });
      const failed = await w.cli(['run', 'staging'], env);
      expect(failed.stdout).toMatch(/failed/);
      // On a loaded machine a runner that misses its 1.5 s lease stops, as it must: resume to the end.
      await resume(w, env);
      const [last] = await readControl<{ status: string }>(w, 'SELECT status FROM refork_runs ORDER BY created_at DESC LIMIT 1');
      expect(last?.status).toBe('succeeded');
      const [run] = await readControl<{ id: string }>(w, 'SELECT id FROM refork_runs ORDER BY created_at LIMIT 1');
      for (const args of [
        ['status'],
        ['status', '--json'],
        ['history'],
        ['history', '--json'],
        ['events', run?.id ?? ''],
        ['events', run?.id ?? '', '--json'],
        ['report', run?.id ?? ''],
        ['report', run?.id ?? '', '--json'],
        ['report', 'staging', '--markdown'],
        ['gc'],
        ['doctor'],
        ['doctor', '--json'],
      ]) {
        await w.cli(args, env);
      }
      // A wrong token and a bad control URL produce errors that must not echo them either.
      await w.cli(['run', 'staging'], { HEROKU_API_KEY: 'wrong-token-0123456789abcdef' });
      await w.cli(['status'], { REFORK_DATABASE_URL: 'postgres://someone:hunter2-hunter2@127.0.0.1:1/nowhere' });
      w.secrets.add(webhook);
      const everything = w.output.join('\n');
      expect(everything).toContain('staging'); // the surfaces really printed something
      // The scan itself runs in close(); run it here too so a leak names this test's exhibits.
      const leaks = findLeaks(
        w.output.map((text, i) => ({ where: `output #${i}`, text })),
        w.secrets,
      );
      expect(leaks).toEqual([]);
      expect(everything).not.toContain('very-secret-webhook-path');
      expect(everything).not.toContain('very-secret-webhook-signing-key');
      expect(everything).toContain('## What was done to personal data'); // the report really printed
      expect(everything).not.toContain('hunter2-hunter2');
    },
  );
});

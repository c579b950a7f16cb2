// The rollback window end to end, with the real CLI against the simulator: a refresh with
// `keep_previous` keeps the replaced database under REFORK_PREVIOUS and records it; `status`
// shows it; `gc` leaves it alone (even with its alias gone); `refork rollback` promotes it back
// and keeps the database rolled back from as the new previous; the next refresh replaces the
// previous (only after its promotion); a beat destroys a previous whose window has ended and
// never one inside it. The control tables hold each of these as events of the runs. With
// `maintenance: true` a rollback puts staging in maintenance around its swap as a refresh does.
import { afterEach, describe, expect, it } from 'vitest';
import { createHerokuClient } from '../../src/heroku/client.js';
import { checkPreviousInvariants, maintenanceViolations } from '../support/invariants.js';
import { createWorld, readControl, TOKEN, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const databaseOf = (w: World) => w.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name;
const attachedAs = (w: World, addon: string) =>
  w.sim
    .attachments('acme-staging')
    .filter((a) => a.addon.name === addon)
    .map((a) => a.name);
const live = (w: World, addon: string) => w.sim.addons().some((a) => a.name === addon);

interface PreviousRow {
  addon_name: string;
  state: string;
  reason: string | null;
}
const previousRows = (w: World) =>
  readControl<PreviousRow>(w, 'SELECT addon_name, state, reason FROM refork_previous_databases ORDER BY id');

async function ok(w: World, args: string[]): Promise<string> {
  const result = await w.cli(args);
  expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('keep_previous and refork rollback', () => {
  it('keeps the replaced database, shows it, leaves it to gc, rolls back to it and back again', { timeout: 240_000 }, async () => {
    world = await createWorld({ forkApp: true, previousFork: true, pipeline: { keep_previous: '24h' } });
    const w = world;
    const old = w.oldStagingAddon;

    await ok(w, ['run', 'staging']);
    const fork = databaseOf(w) ?? '';
    expect(fork).toMatch(/^refork-staging-/);
    expect(fork).not.toBe(old);
    expect(live(w, old)).toBe(true);
    expect(attachedAs(w, old)).toEqual(['REFORK_PREVIOUS']);
    expect(await previousRows(w)).toEqual([{ addon_name: old, state: 'kept', reason: null }]);

    const status = await ok(w, ['status', 'staging']);
    expect(status).toMatch(
      new RegExp(`previous database: ${old} \\(REFORK_PREVIOUS on acme-staging\\), kept until \\S+; \`refork rollback staging\``),
    );
    const [summary] = JSON.parse(await ok(w, ['status', 'staging', '--json'])) as Array<{
      previous: { addon: string; windowOpen: boolean; keptUntil: string };
    }>;
    expect(summary?.previous).toMatchObject({ addon: old, windowOpen: true });
    const window = Date.parse(summary?.previous.keptUntil ?? '') - Date.now();
    expect(window).toBeGreaterThan(23 * 3_600_000);
    expect(window).toBeLessThanOrEqual(24 * 3_600_000);

    // gc: never an orphan, even once a human has removed its alias (the record is what counts).
    const heroku = createHerokuClient({ token: TOKEN, apiUrl: w.sim.url, dataApiUrl: w.sim.url, retry: { baseDelayMs: 1 } });
    const alias = (await heroku.listAttachments('acme-staging')).find((a) => a.name === 'REFORK_PREVIOUS');
    await heroku.deleteAttachment(alias?.id ?? '');
    const gc = JSON.parse(await ok(w, ['gc', '--yes', '--json'])) as { orphans: Array<{ name: string }>; destroyed: string[] };
    expect(gc.orphans.map((o) => o.name)).not.toContain(old);
    expect(live(w, old)).toBe(true);

    // A beat inside the window leaves it alone.
    await ok(w, ['tick', '--budget-minutes', '1']);
    expect(live(w, old)).toBe(true);

    const rolledBack = await ok(w, ['rollback', 'staging']);
    expect(rolledBack).toMatch(/staging: rollback run \S+ succeeded/);
    expect(rolledBack).toContain(`${fork} is kept under REFORK_PREVIOUS until`);
    expect(databaseOf(w)).toBe(old);
    expect(attachedAs(w, fork)).toEqual(['REFORK_PREVIOUS']);
    expect(await previousRows(w)).toEqual([
      { addon_name: old, state: 'restored', reason: null },
      { addon_name: fork, state: 'kept', reason: null },
    ]);
    const runs = await readControl<{ kind: string; status: string }>(w, 'SELECT kind, status FROM refork_runs ORDER BY created_at');
    expect(runs).toEqual([
      { kind: 'refresh', status: 'succeeded' },
      { kind: 'rollback', status: 'succeeded' },
    ]);
    expect(await ok(w, ['status', 'staging'])).toMatch(
      new RegExp(`last: run \\S+ \\(rollback\\) succeeded[\\s\\S]*previous database: ${fork}`),
    );

    // And forward again: the rollback is a run like any other.
    await ok(w, ['rollback', 'staging']);
    expect(databaseOf(w)).toBe(fork);
    expect(attachedAs(w, old)).toEqual(['REFORK_PREVIOUS']);

    // The next refresh keeps the fork it replaces and destroys the older previous, after its promotion.
    await ok(w, ['run', 'staging']);
    const third = databaseOf(w) ?? '';
    expect(third).not.toBe(fork);
    expect(live(w, old)).toBe(false);
    expect(attachedAs(w, fork)).toEqual(['REFORK_PREVIOUS']);
    expect((await previousRows(w)).filter((r) => r.state !== 'restored')).toEqual([
      { addon_name: old, state: 'destroyed', reason: 'replaced' },
      { addon_name: fork, state: 'kept', reason: null },
    ]);

    const events = await readControl<{ type: string }>(w, "SELECT type FROM refork_run_events WHERE type LIKE 'previous.%' ORDER BY id");
    expect(events.map((e) => e.type)).toEqual([
      'previous.kept',
      'previous.restoring',
      'previous.restored',
      'previous.kept',
      'previous.restoring',
      'previous.restored',
      'previous.kept',
      'previous.destroying',
      'previous.destroyed',
      'previous.kept',
    ]);
    expect(await checkPreviousInvariants(w)).toEqual([]);
  });

  it('destroys a previous database at the first beat after its window, and refuses a rollback to it', { timeout: 120_000 }, async () => {
    world = await createWorld({ pipeline: { keep_previous: '90m' } });
    const w = world;
    const nothing = await w.cli(['rollback', 'staging']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr.trim()).toMatch(
      /^refork: staging: nothing to roll back to: no previous database is kept; the next refresh keeps/,
    );

    await ok(w, ['run', 'staging']);
    const old = w.oldStagingAddon;
    expect(attachedAs(w, old)).toContain('REFORK_PREVIOUS');
    await ok(w, ['tick', '--budget-minutes', '1']);
    expect(live(w, old)).toBe(true);

    // The window ends (as time passing would end it: on the control database's clock).
    await readControl(w, "UPDATE refork_previous_databases SET kept_until = now() - interval '1 second'");
    const expired = await w.cli(['rollback', 'staging']);
    expect(expired.code).toBe(1);
    expect(expired.stderr.trim()).toMatch(
      new RegExp(`^refork: staging: the rollback window of ${old} ended at \\S+; it is destroyed at the next beat$`),
    );

    await ok(w, ['tick', '--budget-minutes', '1']);
    expect(live(w, old)).toBe(false);
    expect(await previousRows(w)).toEqual([{ addon_name: old, state: 'destroyed', reason: 'expired' }]);
    expect(await ok(w, ['status', 'staging'])).not.toContain('previous database');
    expect(await checkPreviousInvariants(w)).toEqual([]);
  });

  it('refuses keep_previous that is not a duration, naming the fix', async () => {
    world = await createWorld({ pipeline: { keep_previous: '24 hours' } });
    const result = await world.cli(['status']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/pipelines\.staging\.keep_previous: must be a duration such as 90m, 24h or 2d/);
  });

  describe('with maintenance: true', () => {
    const inMaintenance = (w: World) => w.sim.app('acme-staging').maintenance;
    const runs = (w: World) => readControl<{ kind: string; status: string }>(w, 'SELECT kind, status FROM refork_runs ORDER BY created_at');
    /** Sequence numbers in the simulator's log since `from`: staging's maintenance changes and DATABASE moves. */
    function since(w: World, from: number) {
      const seq = (predicate: (e: (typeof w.sim.events)[number]) => boolean) =>
        w.sim.events.filter((e) => e.seq > from && e.app?.name === 'acme-staging' && predicate(e)).map((e) => e.seq);
      return {
        on: seq((e) => e.type === 'app.updated' && e.detail?.['maintenance'] === true),
        off: seq((e) => e.type === 'app.updated' && e.detail?.['maintenance'] === false),
        promoted: seq((e) => e.type === 'attachment.created' && e.attachment?.name === 'DATABASE'),
        releasesEnded: seq((e) => e.type === 'release.updated'),
      };
    }
    const lastSeq = (w: World) => w.sim.events.at(-1)?.seq ?? 0;

    it(
      'rolls back in maintenance: on just before the swap, off once the release phase is over, through faults',
      { timeout: 240_000 },
      async () => {
        world = await createWorld({
          forkApp: true,
          previousFork: true,
          maintenance: true,
          releasePhase: true,
          pipeline: { keep_previous: '24h' },
        });
        const w = world;
        await ok(w, ['run', 'staging']);
        const fork = databaseOf(w) ?? '';
        const from = lastSeq(w);
        w.sim.faults.add({ method: 'PATCH', path: '/apps/acme-staging', times: 1, kind: { status: 503, id: 'unavailable' } });
        w.sim.faults.add({ method: 'PATCH', path: '/apps/acme-staging', times: 1, kind: 'applyThenDrop' });
        await ok(w, ['rollback', 'staging']);
        expect(databaseOf(w)).toBe(w.oldStagingAddon);
        expect(inMaintenance(w)).toBe(false);
        expect(w.sim.requests.filter((r) => r.fault).map((r) => `${r.method} ${r.fault}`)).toEqual(
          expect.arrayContaining(['PATCH status 503', 'PATCH applyThenDrop']),
        );

        const t = since(w, from);
        expect(t.on).toHaveLength(1);
        expect(t.off).toHaveLength(1);
        expect(t.promoted).toHaveLength(1);
        const [on = 0] = t.on;
        const [off = 0] = t.off;
        const [promoted = 0] = t.promoted;
        expect(on).toBeLessThan(promoted);
        expect(off).toBeGreaterThan(promoted);
        expect(t.releasesEnded.filter((seq) => seq > promoted && seq < off).length).toBeGreaterThan(0);
        // The database rolled back from is kept only once staging is open again (cleaning comes after).
        const kept = w.sim.events.find((e) => e.seq > from && e.type === 'attachment.created' && e.attachment?.name === 'REFORK_PREVIOUS');
        expect(kept?.seq).toBeGreaterThan(off);
        expect(attachedAs(w, fork)).toEqual(['REFORK_PREVIOUS']);

        const events = await readControl<{ from_state: string; to_state: string }>(
          w,
          `SELECT e.from_state, e.to_state FROM refork_run_events e JOIN refork_runs r ON r.id = e.run_id
          WHERE r.kind = 'rollback' AND e.type LIKE 'xstate.done.%' ORDER BY e.seq`,
        );
        expect(events.map((e) => `${e.from_state}→${e.to_state}`)).toEqual([
          'reserving→enteringMaintenance',
          'enteringMaintenance→enteringMaintenance',
          'enteringMaintenance→promoting',
          'promoting→leavingMaintenance',
          'leavingMaintenance→cleaning',
          'cleaning→succeeded',
        ]);
        expect(maintenanceViolations(w, await runs(w))).toEqual([]);
        expect(await checkPreviousInvariants(w)).toEqual([]);
      },
    );

    it('takes staging out of maintenance after a swap Heroku refuses; the previous database stays kept', { timeout: 240_000 }, async () => {
      world = await createWorld({ forkApp: true, previousFork: true, maintenance: true, pipeline: { keep_previous: '24h' } });
      const w = world;
      await ok(w, ['run', 'staging']);
      const fork = databaseOf(w) ?? '';
      w.sim.faults.add({
        method: 'POST',
        path: '/addon-attachments',
        times: 50,
        kind: { status: 403, id: 'forbidden', message: 'You do not have permission to attach add-ons.' },
      });
      const result = await w.cli(['rollback', 'staging']);
      expect(result.code).not.toBe(0);
      expect(await runs(w)).toEqual([
        { kind: 'refresh', status: 'succeeded' },
        { kind: 'rollback', status: 'failed' },
      ]);
      expect(databaseOf(w)).toBe(fork);
      expect(inMaintenance(w)).toBe(false);
      expect(w.sim.requests.filter((r) => r.method === 'PATCH' && r.path === '/apps/acme-staging' && !r.fault)).toHaveLength(4);
      expect(await previousRows(w)).toEqual([{ addon_name: w.oldStagingAddon, state: 'kept', reason: null }]);
      expect(maintenanceViolations(w, await runs(w))).toEqual([]);
      expect(await checkPreviousInvariants(w)).toEqual([]);
    });

    it(
      'leaves a maintenance window of the owner’s own on through a refresh and a rollback, and never sets it',
      { timeout: 240_000 },
      async () => {
        world = await createWorld({ maintenance: true, ownersMaintenance: true, pipeline: { keep_previous: '24h' } });
        const w = world;
        await ok(w, ['run', 'staging']);
        await ok(w, ['rollback', 'staging']);
        expect(databaseOf(w)).toBe(w.oldStagingAddon);
        expect(inMaintenance(w)).toBe(true);
        expect(w.sim.requests.filter((r) => r.method === 'PATCH' && r.path === '/apps/acme-staging')).toEqual([]);
        expect(maintenanceViolations(w, await runs(w))).toEqual([]);
      },
    );
  });
});

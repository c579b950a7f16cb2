// Maintenance mode around the swap, end to end (the real CLI as child processes, the simulator,
// a real PostgreSQL): staging is in maintenance when DATABASE moves and out of it once the
// release phase is over, on every path; an owner's own window is left alone; the times are in
// the run's events.
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants, maintenanceViolations } from '../support/invariants.js';
import { createWorld, readControl, type World } from '../support/world.js';
import { leaseFree } from '../support/resume.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const inMaintenance = (w: World) => w.sim.app('acme-staging').maintenance;
const stagingPatches = (w: World) => w.sim.requests.filter((r) => r.method === 'PATCH' && r.path === '/apps/acme-staging');
const runs = (w: World) => readControl<{ status: string; state: string }>(w, 'SELECT status, state FROM refork_runs');

/** Sequence numbers of the simulator's log: when staging's maintenance changed, and when DATABASE moved. */
function timeline(w: World) {
  const seq = (predicate: (e: (typeof w.sim.events)[number]) => boolean) => w.sim.events.filter(predicate).map((e) => e.seq);
  const staging = (e: (typeof w.sim.events)[number]) => e.app?.name === 'acme-staging';
  return {
    on: seq((e) => staging(e) && e.type === 'app.updated' && e.detail?.['maintenance'] === true),
    off: seq((e) => staging(e) && e.type === 'app.updated' && e.detail?.['maintenance'] === false),
    promoted: seq((e) => staging(e) && e.type === 'attachment.created' && e.attachment?.name === 'DATABASE'),
    releasesEnded: seq((e) => staging(e) && e.type === 'release.updated'),
  };
}

describe('maintenance: true', () => {
  it('puts staging in maintenance just before promotion and takes it out once the release phase is over, through Heroku faults', async () => {
    world = await createWorld({ maintenance: true, releasePhase: true });
    // Every fault mode on the maintenance calls: a 503, a 429, a change applied whose answer is lost.
    world.sim.faults.add({ method: 'PATCH', path: '/apps/acme-staging', times: 1, kind: { status: 503, id: 'unavailable' } });
    world.sim.faults.add({
      method: 'GET',
      path: '/apps/acme-staging',
      times: 1,
      kind: { status: 429, id: 'rate_limit', retryAfterSeconds: 0 },
    });
    world.sim.faults.add({ method: 'PATCH', path: '/apps/acme-staging', times: 1, kind: 'applyThenDrop' });
    const result = await world.cli(['run', 'staging']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    expect(inMaintenance(world)).toBe(false);
    expect(world.sim.requests.filter((r) => r.fault).map((r) => `${r.method} ${r.fault}`)).toEqual(
      expect.arrayContaining(['PATCH status 503', 'GET status 429', 'PATCH applyThenDrop']),
    );

    const t = timeline(world);
    expect(t.on).toHaveLength(1);
    expect(t.off).toHaveLength(1);
    const [on = 0] = t.on;
    const [off = 0] = t.off;
    const promotedAt = t.promoted.at(-1) ?? 0;
    expect(on).toBeLessThan(promotedAt);
    expect(off).toBeGreaterThan(promotedAt);
    // The release the promotion ran had ended before staging opened again.
    expect(t.releasesEnded.filter((seq) => seq > promotedAt && seq < off).length).toBeGreaterThan(0);
    // The old database goes only after staging is open again (cleanup comes after).
    const destroyed = world.sim.events.find((e) => e.type === 'addon.destroy_requested' && e.addon?.name === world?.oldStagingAddon);
    expect(destroyed?.seq).toBeGreaterThan(off);

    // When: in the run's transition events, for the audit report.
    const events = await readControl<{ from_state: string; to_state: string; detail: { output?: { on?: boolean; at?: number } } }>(
      world,
      `SELECT from_state, to_state, detail FROM refork_run_events
        WHERE from_state IN ('enteringMaintenance', 'leavingMaintenance') AND type LIKE 'xstate.done.%' ORDER BY seq`,
    );
    expect(events.map((e) => `${e.from_state}→${e.to_state} ${String(e.detail.output?.on)}`)).toEqual([
      'enteringMaintenance→enteringMaintenance false',
      'enteringMaintenance→promoting true',
      'leavingMaintenance→cleaning false',
    ]);
    const [, onEvent, offEvent] = events;
    expect(offEvent?.detail.output?.at).toBeGreaterThanOrEqual(onEvent?.detail.output?.at ?? Infinity);
  });

  it('takes staging out of maintenance after a failed release phase (the run fails, the old database is kept)', async () => {
    world = await createWorld({ maintenance: true, releasePhase: true, failReleaseOnPromote: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).not.toBe(0);
    expect(await runs(world)).toEqual([{ status: 'failed', state: 'failed' }]);
    expect(inMaintenance(world)).toBe(false);
    expect(maintenanceViolations(world, await runs(world))).toEqual([]);
    const t = timeline(world);
    expect(t.off[0]).toBeGreaterThan(t.promoted.at(-1) ?? Infinity);
    expect(world.sim.addons().some((a) => a.name === world?.oldStagingAddon)).toBe(true);
  });

  it('takes staging out of maintenance after a promotion Heroku refuses (compensation destroys the fork)', async () => {
    world = await createWorld({ maintenance: true });
    world.sim.faults.add({
      method: 'POST',
      path: '/addon-attachments',
      times: 50,
      kind: { status: 403, id: 'forbidden', message: 'You do not have permission to attach add-ons.' },
    });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).not.toBe(0);
    expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
    expect(timeline(world).on).toHaveLength(1);
    expect(inMaintenance(world)).toBe(false);
  });

  it('takes staging out of maintenance when the run is aborted after maintenance went on', async () => {
    world = await createWorld({ maintenance: true });
    const crashed = await world.cli(['run', 'staging'], { REFORK_CRASH_AT: 'heroku:maintenanceOn:after#1' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(inMaintenance(world)).toBe(true);
    await leaseFree(world);
    // No runner holds the run: the abort command compensates it itself.
    const abort = await world.cli(['abort', 'staging']);
    expect(abort.stdout).toMatch(/aborted \(fork destroyed, staging untouched\)/);
    expect((await checkInvariants(world, { status: 'aborted' })).violations).toEqual([]);
    expect(inMaintenance(world)).toBe(false);
  });

  it('leaves a maintenance window of the owner’s own on, and never sets it', async () => {
    world = await createWorld({ maintenance: true, ownersMaintenance: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    expect(inMaintenance(world)).toBe(true);
    expect(stagingPatches(world)).toEqual([]);
    const [found] = await readControl<{ detail: { output?: { found?: boolean } } }>(
      world,
      "SELECT detail FROM refork_run_events WHERE from_state = 'enteringMaintenance' AND to_state = 'promoting'",
    );
    expect(found?.detail.output?.found).toBe(true);
  });
});

describe('maintenance: false (the default)', () => {
  it('never touches staging’s maintenance mode, nor an owner’s window', async () => {
    world = await createWorld({ ownersMaintenance: true });
    expect((await world.cli(['run', 'staging'])).code).toBe(0);
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    expect(stagingPatches(world)).toEqual([]);
    expect(inMaintenance(world)).toBe(true);
  });
});

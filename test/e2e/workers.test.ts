// Several `refork worker` processes share many pipelines through the control database alone:
// every pipeline is refreshed exactly once, and a worker killed in the middle hands its runs
// on within the lease time.
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery, serverUrl } from '../support/databases.js';
import { createFleet, type Fleet } from '../support/fleet.js';
import { until } from '../support/world.js';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const MINUTE = 60_000;

describe('several workers', () => {
  it('refresh every pipeline exactly once, and the survivor finishes the runs of a killed one', { timeout: 240_000 }, async () => {
    // Forks take 40 simulated minutes (4 real seconds); leases last 1.5 real seconds.
    fleet = await createFleet({
      postgresUrl: serverUrl(),
      pipelines: 6,
      forkMs: 40 * MINUTE,
      scale: 600,
      env: { REFORK_LEASE_TTL_MS: '1500', REFORK_MAX_HEAVY: '1' },
    });
    const f = fleet;
    const doomed = f.startWorker();
    const survivor = f.startWorker();
    // Kill one worker while every run is under way and it holds one of them.
    const heldByDoomed = async () =>
      (
        await adminQuery(
          f.controlUrl,
          "SELECT id FROM refork_runs WHERE status = 'active' AND lease_expires_at > now() AND lease_owner LIKE $1",
          [`%:${doomed.child.pid}:%`],
        )
      ).rows as Array<{ id: string }>;
    let victim: string | undefined;
    await until(
      async () => {
        const runs = await f.runs();
        if (!f.pipelines.every((p) => (runs.get(p)?.active ?? 0) === 1)) return false;
        victim = (await heldByDoomed())[0]?.id;
        return victim !== undefined;
      },
      'every pipeline to have its run, one of them held by the worker to kill',
      60_000,
    );
    doomed.child.kill('SIGKILL');
    await until(
      async () => {
        const runs = await f.runs();
        return f.pipelines.every((p) => runs.get(p)?.active === 0);
      },
      'every run to end',
      180_000,
    );
    survivor.child.kill('SIGTERM');
    expect((await survivor.done).code).toBe(0);

    // The killed worker's run went on under the survivor once its lease expired.
    const takeovers = await adminQuery(
      f.controlUrl,
      "SELECT detail->>'owner' AS owner FROM refork_run_events WHERE run_id = $1 AND type = 'lease.acquired' ORDER BY seq",
      [victim],
    );
    expect(takeovers.rows.some((row: { owner: string }) => row.owner.includes(`:${survivor.child.pid}:`))).toBe(true);
    const runs = await f.runs();
    // A run that did not succeed names its end in the failure message.
    const ends = await adminQuery(f.controlUrl, "SELECT pipeline, status, state, error FROM refork_runs WHERE status <> 'succeeded'");
    for (const pipeline of f.pipelines)
      expect(runs.get(pipeline), `${pipeline}: ${JSON.stringify(ends.rows)}`).toEqual({ runs: 1, succeeded: 1, active: 0 });
    // One fork per pipeline, each now its staging app's DATABASE; nothing of refork's left over.
    const created = f.sim.events.filter((e) => e.type === 'addon.created' && e.addon?.name.startsWith('refork-'));
    expect(created).toHaveLength(f.pipelines.length);
    for (const app of f.stagingApps) {
      const database = f.sim.attachments(app).find((a) => a.name === 'DATABASE' && !a.namespace);
      expect(database?.addon.name, app).toMatch(/^refork-/);
      expect(f.sim.addons(app).map((a) => a.name)).toEqual([database?.addon.name]);
    }
  });
});

// Fix-ups through the real CLI against the simulator: applied in the fork before verification and
// promotion, recorded (digests, rows, tables) in the run's events without their text, and a
// failing or leaking fix-up failing the run closed: fork destroyed, staging on its old database.
import { afterEach, describe, expect, it } from 'vitest';
import { fixupDigest } from '../../src/anonymize/fixups.js';
import { adminQuery } from '../support/databases.js';
import { checkInvariants } from '../support/invariants.js';
import { ANONYMIZE_KEY, FIXUP_SECRET, FIXUPS, createWorld, readControl, stagingDatabase, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('fix-ups, end to end', () => {
  it('runs them in the fork after masking, verifies the result, and records what each did', async () => {
    world = await createWorld({ fixups: true });
    const result = await world.cli(['run', 'staging']);
    expect(result.stdout).toMatch(/staging: run [0-9a-f-]+ succeeded/);
    expect(result.code).toBe(0);
    // The invariants include: each fix-up in the promoted fork's ledger once, the counter moved once.
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);

    const staging = world.sim.databaseUrl(stagingDatabase(world) ?? '');
    const staff = await adminQuery(staging, 'SELECT full_name FROM customers WHERE id <= 4 ORDER BY id');
    expect(staff.rows.map((row: { full_name: string }) => row.full_name).slice(0, 3)).toEqual(['QA Staff 1', 'QA Staff 2', 'QA Staff 3']);
    expect(staff.rows[3]?.full_name).toMatch(/^[0-9a-f]{64}$/); // masked as before

    const events = await readControl<{ from_state: string; to_state: string; detail: { output: unknown } }>(
      world,
      `SELECT from_state, to_state, detail FROM refork_run_events WHERE from_state = 'fixingUp' ORDER BY id`,
    );
    expect(events).toEqual([
      {
        from_state: 'fixingUp',
        to_state: 'verifying',
        detail: {
          output: {
            statements: FIXUPS.map((statement, index) => ({
              ordinal: index + 1,
              digest: fixupDigest(statement, ANONYMIZE_KEY),
              rows: [3, 1, 1][index],
              tables: [['public.customers'], ['public.orders'], ['public.orders']][index],
              resumed: false,
            })),
          },
        },
      },
    ]);
    // world.close() scans every CLI output and control row for FIXUP_SECRET as for any secret.
    expect(world.secrets.has(FIXUP_SECRET)).toBe(true);
  });

  it('fails closed on a failing fix-up: the fork is destroyed, staging keeps its database, the error names the statement', async () => {
    world = await createWorld({
      fixups: true,
      pipeline: { fixups: [FIXUPS[1], `UPDATE orders SET total_cents = 'not-a-number-${FIXUP_SECRET}' WHERE id = 3`] },
    });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).not.toBe(0);
    const [run] = await readControl<{ status: string; error: string }>(world, 'SELECT status, error FROM refork_runs');
    expect(run?.status).toBe('failed');
    expect(run?.error).toBe(
      `fixingUp: fix-up 2 (UPDATE orders SET total_cents = '…' WHERE id = 3) failed: invalid input syntax for type integer: "…"`,
    );
    expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
    expect(world.sim.addons().filter((a) => a.name.startsWith('refork-') && a.state !== 'deprovisioning')).toEqual([]);
  });

  it('fails verification, and so the run, when a fix-up puts a real email back', async () => {
    world = await createWorld({ pipeline: { fixups: [`UPDATE customers SET email = 'jane.doe@gmail.com' WHERE id = 5`] } });
    const result = await world.cli(['run', 'staging']);
    expect(result.code).not.toBe(0);
    const [run] = await readControl<{ status: string; error: string }>(world, 'SELECT status, error FROM refork_runs');
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(
      /^verifying: verification failed: fix-up 1 wrote what look like email addresses into public\.customers\."email"/,
    );
    expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
    // The record shows each check, the one that failed among those that passed.
    const [id] = await readControl<{ id: string }>(world, 'SELECT id FROM refork_runs');
    const report = await world.cli(['report', id?.id ?? '', '--markdown']);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(
      'ran on the masked copy, read-only, before it was attached to the target; not all passed, so it was never attached.',
    );
    expect(report.stdout).toMatch(/\| `fixups` \| [^|]+ \| FAILED \(1 problem\) \|/);
    expect(report.stdout).toMatch(/\| `ledger` \| [^|]+ \| passed \|/);
  });

  it('refuses bad fix-ups at config load with one line, before any add-on exists', async () => {
    world = await createWorld({ pipeline: { fixups: ['UPDATE orders SET total_cents = 0 WHERE id = 1', ''] } });
    const before = world.sim.addons().length;
    const result = await world.cli(['run', 'staging']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('pipelines.staging.fixups[1]: fix-up 2 is empty: remove it, or write the statement');
    expect(world.sim.addons()).toHaveLength(before);
  });
});

// A gap visible before forking never costs a fork: preflight checks the rules against
// production's catalog (read-only) and stops the run before anything is created, with every
// problem kept in the run's events and in `status`.
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery } from '../support/databases.js';
import { checkInvariants } from '../support/invariants.js';
import { RULES, createWorld, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('preflight checks the rules against production', () => {
  it('stops on unclassified columns and rules that do not fit, before any fork, keeping every problem', async () => {
    const orders = { ...RULES.tables.orders.columns, total_cents: { strategy: 'constant', value: 'REPLACE ME' } };
    world = await createWorld({ pipeline: { anonymize: { tables: { ...RULES.tables, orders: { columns: orders } } } } });
    const added = ['nickname', 'twitter', 'city', 'zip', 'bio', 'avatar_url', 'referrer'];
    for (const column of added) await adminQuery(world.sim.databaseUrl(world.prodAddon), `ALTER TABLE customers ADD COLUMN ${column} text`);

    const result = await world.cli(['run', 'staging']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /failed: preflight: the rules do not fit acme-prod's schema: .*\(2 problems in all; `refork plan` lists them\)/,
    );
    expect(world.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(2); // the two seeded databases
    expect((await checkInvariants(world, { status: 'failed' })).violations).toEqual([]);
    const doctor = await world.cli(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ pipeline staging: the rules do not fit acme-prod's schema: public\.customers: columns nickname/);

    const expected = [
      `public.customers: columns ${added.join(', ')} are not classified (added since the rules were written?): mask them or mark them safe`,
      `${world.configPath}: pipelines.staging.anonymize.tables.orders.columns.total_cents: strategy constant does not fit column "total_cents" (integer): invalid input syntax for type integer: "REPLACE ME"; give a value or expression of that type, or another strategy`,
    ];
    const [summary] = JSON.parse((await world.cli(['status', '--json'])).stdout) as Array<{
      last: { runId: string; status: string; failedStep: string; problems: string[] };
    }>;
    expect(summary?.last).toMatchObject({ status: 'failed', failedStep: 'preflight', problems: expected });

    const text = (await world.cli(['status', 'staging'])).stdout;
    expect(text).toMatch(/last: run [0-9a-f-]+ failed at preflight \(started .*, finished .*\)/);
    expect(text).not.toMatch(/failed in failed/);
    for (const problem of expected) expect(text).toContain(`      - ${problem}`);

    const events = JSON.parse((await world.cli(['events', summary?.last.runId ?? '', '--json'])).stdout) as Array<{
      detail: { error?: { problems?: string[] } };
    }>;
    expect(events.find((event) => event.detail.error?.problems)?.detail.error?.problems).toEqual(expected);
  });

  it('lets a run whose rules fit go ahead, and says so plainly once it succeeded', async () => {
    world = await createWorld();
    expect((await world.cli(['run', 'staging'])).code).toBe(0);
    const text = (await world.cli(['status', 'staging'])).stdout;
    expect(text).toMatch(/last: run [0-9a-f-]+ succeeded \(started .*, finished .*\)/);
    expect(text).not.toMatch(/succeeded in succeeded/);
  });
});

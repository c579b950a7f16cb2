// Input that cannot work stops before anything is created: a token without access, an app
// that does not exist, a source database on a plan Heroku cannot fork. One line each, exit
// non-zero, no add-on created and no Heroku mutation sent.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, type CliResult, type World } from '../support/world.js';
import { ownLines } from '../chaos/control.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function expectNothingCreated(w: World, result: CliResult, seededAddons: number, reason: RegExp): void {
  const lines = ownLines(result);
  expect(lines, `${result.stdout}\n${result.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(reason);
  expect(result.code).not.toBe(0);
  expect(w.sim.events.filter((e) => e.type === 'addon.created')).toHaveLength(seededAddons);
  expect(w.sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
}

const created = (w: World) => w.sim.events.filter((e) => e.type === 'addon.created').length;

describe('refusals: nothing created', () => {
  it('stops with one line on a token Heroku does not accept', async () => {
    world = await createWorld();
    const seeded = created(world);
    const result = await world.cli(['run', 'staging'], { HEROKU_API_KEY: 'not-the-right-token-0123456789' });
    expectNothingCreated(world, result, seeded, /401|unauthorized|credentials/i);
  });

  it('stops with one line on a token that may not see the apps (403)', async () => {
    world = await createWorld();
    const seeded = created(world);
    world.sim.faults.add({
      path: /^\/apps\//,
      times: 1000,
      kind: { status: 403, id: 'forbidden', message: 'You do not have access to the app acme-prod.' },
    });
    const result = await world.cli(['run', 'staging']);
    expectNothingCreated(world, result, seeded, /403|forbidden|access/i);
  });

  it('stops with one line when the source app does not exist', async () => {
    world = await createWorld({ pipeline: { source: { app: 'acme-nowhere', database: 'DATABASE' } } });
    const seeded = created(world);
    const result = await world.cli(['run', 'staging']);
    expectNothingCreated(world, result, seeded, /acme-nowhere/);
  });

  it('stops with one line when the target app does not exist', async () => {
    world = await createWorld({ pipeline: { target: { app: 'acme-nowhere' } } });
    const seeded = created(world);
    const result = await world.cli(['run', 'staging']);
    expectNothingCreated(world, result, seeded, /acme-nowhere/);
  });

  it('stops with one line when the source database is on a plan Heroku cannot fork', async () => {
    world = await createWorld({ pipeline: { source: { app: 'acme-prod', database: 'ESSENTIAL' } } });
    await world.sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:essential-0', as: 'ESSENTIAL' });
    const seeded = created(world);
    const result = await world.cli(['run', 'staging']);
    expectNothingCreated(world, result, seeded, /essential-0.*cannot fork/);
  });
});

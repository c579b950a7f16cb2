// Destroying an add-on: 202 deprovisioning, then 404, its database dropped and its attachments
// and config vars gone; only the billing app may destroy it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type AddonBody, api, databaseExists, type ErrorBody, eventually, settled, startSim, uniqueName } from './helpers.js';

describe('destroying add-ons', () => {
  let sim: Simulator;
  const prod = uniqueName('prod');
  const staging = uniqueName('stg');

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(prod);
    sim.createApp(staging);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('goes deprovisioning, then 404, with the database dropped and attachments removed', async () => {
    await sim.addDatabase(staging);
    const old = await sim.addDatabase(staging, { as: 'OLD' });
    const answer = await api<AddonBody>(sim, 'DELETE', `/apps/${staging}/addons/${old.id}`, { force: false });
    expect(answer.status).toBe(202);
    expect(answer.body.state).toBe('deprovisioning');
    expect(sim.configVars(staging)['OLD_URL']).toBeUndefined();
    expect(sim.attachments(staging).map((attachment) => attachment.name)).toEqual(['DATABASE']);
    await eventually(async () => ((await api(sim, 'GET', `/apps/${staging}/addons/${old.name}`)).status === 404 ? true : undefined));
    expect(await databaseExists(old.databaseName)).toBe(false);
    const gone = await api<ErrorBody>(sim, 'DELETE', `/apps/${staging}/addons/${old.id}`);
    expect(gone.body).toMatchObject({ id: 'not_found', resource: 'add_on' });
    const types = sim.events.filter((event) => event.addon?.id === old.id).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['addon.destroy_requested', 'attachment.deleted', 'addon.destroyed']));
    expect(types.indexOf('addon.destroy_requested')).toBeLessThan(types.indexOf('addon.destroyed'));
  });

  it('answers 404 when the add-on belongs to another app, even if attached there', async () => {
    const prodDb = await sim.addDatabase(prod);
    sim.attach(prodDb.name, staging, 'PROD');
    const answer = await api<ErrorBody>(sim, 'DELETE', `/apps/${staging}/addons/${prodDb.name}`);
    expect(answer.status).toBe(404);
    expect(answer.body.resource).toBe('add_on');
    expect(sim.addons(prod).map((addon) => addon.name)).toContain(prodDb.name);
  });

  it('refuses to destroy an add-on attached to other apps unless forced', async () => {
    const shared = await sim.addDatabase(prod, { as: 'SHARED' });
    sim.attach(shared.name, staging, 'SHARED');
    const refused = await api<ErrorBody>(sim, 'DELETE', `/apps/${prod}/addons/${shared.name}`, { force: false });
    expect(refused.status).toBe(422);
    expect(sim.configVars(staging)['SHARED_URL']).toBe(sim.databaseUrl(shared.name));
    const forced = await api<AddonBody>(sim, 'DELETE', `/apps/${prod}/addons/${shared.name}`, { force: true });
    expect(forced.status).toBe(202);
    expect(sim.configVars(staging)['SHARED_URL']).toBeUndefined();
  });

  it('destroys a fork that is still provisioning without leaking its database', async () => {
    const slow = await startSim({ provisionDelayMs: 400 });
    try {
      const app = uniqueName('slow');
      slow.createApp(app);
      const created = await api<AddonBody>(slow, 'POST', `/apps/${app}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'TEMP' },
      });
      const destroyed = await api<AddonBody>(slow, 'DELETE', `/apps/${app}/addons/${created.body.id}`);
      expect(destroyed.status).toBe(202);
      await eventually(async () => ((await api(slow, 'GET', `/addons/${created.body.id}`)).status === 404 ? true : undefined));
      const dropped = slow.events.find((event) => event.type === 'addon.destroyed' && event.addon?.id === created.body.id);
      const database = dropped?.detail?.['database'];
      expect(typeof database).toBe('string');
      expect(await databaseExists(String(database))).toBe(false);
      expect(slow.events.some((event) => event.type === 'addon.provisioned' && event.addon?.id === created.body.id)).toBe(false);
    } finally {
      await slow.close();
    }
  });

  it('removes a failed fork with 200 deprovisioned', async () => {
    const source = await sim.addDatabase(prod, { as: 'SOURCE' });
    sim.failNextFork();
    const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'FAILED' },
      config: { fork: source.name },
    });
    await settled(sim, staging, created.body.name);
    const answer = await api<AddonBody>(sim, 'DELETE', `/apps/${staging}/addons/${created.body.name}`);
    expect(answer.status).toBe(200);
    expect(answer.body.state).toBe('deprovisioned');
    expect((await api(sim, 'GET', `/addons/${created.body.id}`)).status).toBe(404);
  });
});

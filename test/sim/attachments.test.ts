// Attachments: default names, confirmation, replacement, the last billing attachment, config
// vars and releases (with a release phase), the pooler namespace, the resolvers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimAddon, Simulator } from '../../src/sim/index.js';
import { type AddonBody, api, type AttachmentBody, type ErrorBody, eventually, settled, startSim, uniqueName } from './helpers.js';

describe('attachments', () => {
  let sim: Simulator;
  const app = uniqueName('stg');
  let old: SimAddon;
  let fresh: SimAddon;

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(app, { releasePhase: true });
    old = await sim.addDatabase(app);
    fresh = await sim.addDatabase(app, { as: 'REFORK_NEW' });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('attaches the first database of an app as DATABASE and later ones under their own names', () => {
    const names = sim.attachments(app).map((attachment) => `${attachment.name}:${attachment.addon.name}`);
    expect(names).toEqual([`DATABASE:${old.name}`, `REFORK_NEW:${fresh.name}`]);
    expect(sim.configVars(app)['DATABASE_URL']).toBe(sim.databaseUrl(old.name));
    expect(sim.configVars(app)['REFORK_NEW_URL']).toBe(sim.databaseUrl(fresh.name));
  });

  it('gives the first database created on a DB-less app DATABASE when no attachment name is sent', async () => {
    const bare = uniqueName('bare');
    sim.createApp(bare);
    const created = await api<AddonBody>(sim, 'POST', `/apps/${bare}/addons`, { plan: 'heroku-postgresql:essential-0' });
    await settled(sim, bare, created.body.name);
    expect(Object.keys(sim.configVars(bare))).toEqual(['DATABASE_URL']);
    const second = await api<AddonBody>(sim, 'POST', `/apps/${bare}/addons`, { plan: 'heroku-postgresql:essential-0' });
    await settled(sim, bare, second.body.name);
    expect(Object.keys(sim.configVars(bare)).sort()[1]).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+_URL$/);
  });

  it('attaches a named first database on a DB-less app under its name only, never as DATABASE', async () => {
    // Why refork always names the fork's attachment: unnamed, it would go live as DATABASE_URL (docs/heroku-api.md#names).
    const bare = uniqueName('bare');
    sim.createApp(bare);
    const created = await api<AddonBody>(sim, 'POST', `/apps/${bare}/addons`, {
      plan: 'heroku-postgresql:essential-0',
      attachment: { name: 'REFORK_FIRST' },
    });
    expect(created.status).toBe(202);
    await settled(sim, bare, created.body.name);
    expect(Object.keys(sim.configVars(bare))).toEqual(['REFORK_FIRST_URL']);
    expect(sim.attachments(bare).map((attachment) => attachment.name)).toEqual(['REFORK_FIRST']);
    expect((await api(sim, 'GET', `/apps/${bare}/addon-attachments/DATABASE`)).status).toBe(404);
  });

  it('answers 423 confirmation_required when the name is taken and no confirm is sent', async () => {
    const answer = await api<ErrorBody>(sim, 'POST', '/addon-attachments', {
      addon: { name: fresh.name },
      app: { name: app },
      name: 'DATABASE',
    });
    expect(answer.status).toBe(423);
    expect(answer.body.id).toBe('confirmation_required');
  });

  it('refuses to move DATABASE off the last billing attachment of its add-on', async () => {
    const answer = await api<ErrorBody>(sim, 'POST', '/addon-attachments', {
      addon: fresh.name,
      app,
      name: 'DATABASE',
      namespace: null,
      confirm: app,
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain(`DATABASE on ${app} is the last billing attachment to ${old.name}`);
    expect(sim.configVars(app)['DATABASE_URL']).toBe(sim.databaseUrl(old.name));
  });

  it('promotes like pg:promote: alias, then replace DATABASE with confirm, with Detach and Attach releases', async () => {
    const alias = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', {
      addon: { name: old.name },
      app: { name: app },
      confirm: app,
      namespace: null,
    });
    expect(alias.status).toBe(201);
    expect(alias.body.name).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+$/);
    const promoted = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', {
      addon: { name: fresh.name },
      app: { name: app },
      confirm: app,
      name: 'DATABASE',
      namespace: null,
    });
    expect(promoted.status).toBe(201);
    expect(promoted.body.addon.name).toBe(fresh.name);
    expect(sim.configVars(app)['DATABASE_URL']).toBe(sim.databaseUrl(fresh.name));
    expect(sim.configVars(app)[`${alias.body.name}_URL`]).toBe(sim.databaseUrl(old.name));

    const formation = await api<Array<{ type: string }>>(sim, 'GET', `/apps/${app}/formation`);
    expect(formation.body.map((process) => process.type)).toContain('release');
    const releases = await api<Array<{ id: string; description: string; status: string }>>(sim, 'GET', `/apps/${app}/releases`, undefined, {
      Range: 'version ..; max=5, order=desc',
    });
    const attach = releases.body.find((release) => release.description === `Attach DATABASE (@ref:${fresh.name})`);
    const detach = releases.body.find((release) => release.description === `Detach DATABASE (@ref:${old.name})`);
    expect(detach).toBeDefined();
    // The release phase held the release pending when it was created (the ground-truth log
    // says so; reading the status now would race the 30 ms release phase on a busy machine).
    const created = sim.events.find((event) => event.type === 'release.created' && event.detail?.id === attach?.id);
    expect(created?.detail?.status).toBe('pending');
    const final = await eventually(async () => {
      const answer = await api<{ status: string }>(sim, 'GET', `/apps/${app}/releases/${attach?.id}`);
      return answer.body.status === 'pending' ? undefined : answer.body.status;
    });
    expect(final).toBe('succeeded');
  });

  it('re-points the pooler attachment and its DATABASE_CONNECTION_POOL_URL', async () => {
    sim.attach(old.name, app, 'DATABASE_CONNECTION_POOL', 'connection-pooling:default');
    expect(sim.configVars(app)['DATABASE_CONNECTION_POOL_URL']).toBe(sim.databaseUrl(old.name));
    const answer = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', {
      addon: fresh.name,
      app,
      confirm: app,
      name: 'DATABASE_CONNECTION_POOL',
      namespace: 'connection-pooling:default',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.namespace).toBe('connection-pooling:default');
    expect(sim.configVars(app)['DATABASE_CONNECTION_POOL_URL']).toBe(sim.databaseUrl(fresh.name));
  });

  it('finds DATABASE by name on the app and resolves it like the CLI', async () => {
    const database = await api<AttachmentBody & { config_vars?: string[] }>(
      sim,
      'GET',
      `/apps/${app}/addon-attachments/DATABASE`,
      undefined,
      {
        'Accept-Inclusion': 'addon:plan,config_vars',
      },
    );
    expect(database.body.addon.name).toBe(fresh.name);
    expect(database.body.config_vars).toEqual(['DATABASE_URL']);
    const resolved = await api<AttachmentBody[]>(sim, 'POST', '/actions/addon-attachments/resolve', { addon_attachment: 'DATABASE', app });
    expect(resolved.body.map((attachment) => attachment.addon.name)).toEqual([fresh.name]);
    const addons = await api<AddonBody[]>(
      sim,
      'POST',
      '/actions/addons/resolve',
      { addon: `${app}::DATABASE` },
      { Accept: 'application/vnd.heroku+json; version=3.sdk' },
    );
    expect(addons.body.map((addon) => addon.name)).toEqual([fresh.name]);
    const missing = await api<ErrorBody>(sim, 'POST', '/actions/addons/resolve', { addon: 'nothing-here', app });
    expect(missing.body).toMatchObject({ id: 'not_found', resource: 'add_on' });
  });

  it('deletes an attachment, removing its config var, but never the last billing attachment', async () => {
    const onApp = sim.attachments(app);
    const alias = onApp.find((attachment) => attachment.addon.id === old.id && attachment.name.startsWith('HEROKU_POSTGRESQL_'));
    const pool = onApp.find((attachment) => attachment.name === 'REFORK_NEW');
    expect(alias && pool).toBeTruthy();
    const refused = await api<ErrorBody>(sim, 'DELETE', `/addon-attachments/${alias?.id}`);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('last billing attachment');
    const deleted = await api<AttachmentBody>(sim, 'DELETE', `/addon-attachments/${pool?.id}`);
    expect(deleted.status).toBe(200);
    expect(sim.configVars(app)['REFORK_NEW_URL']).toBeUndefined();
    const again = await api<ErrorBody>(sim, 'DELETE', `/addon-attachments/${pool?.id}`);
    expect(again.body).toMatchObject({ id: 'not_found', resource: 'add_on attachment' });
  });

  it('ends the next release-phase release failed after failNextRelease', async () => {
    const target = uniqueName('relfail');
    sim.createApp(target, { releasePhase: true });
    const database = await sim.addDatabase(target);
    sim.failNextRelease();
    const alias = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', { addon: database.name, app: target, name: 'ALIAS' });
    expect(alias.status).toBe(201);
    const status = await eventually(async () => {
      const answer = await api<Array<{ description: string; status: string }>>(sim, 'GET', `/apps/${target}/releases`, undefined, {
        Range: 'version ..; max=1, order=desc',
      });
      const latest = answer.body[0];
      return latest && latest.status !== 'pending' ? latest : undefined;
    });
    expect(status).toEqual(expect.objectContaining({ description: `Attach ALIAS (@ref:${database.name})`, status: 'failed' }));
  });

  it('awaits onAttach before the config var goes live', async () => {
    const observed: Array<{ name: string; liveBefore: boolean }> = [];
    const hooked: Simulator = await startSim({
      onAttach: (event) => {
        observed.push({ name: event.name, liveBefore: hooked.configVars(event.app)['DATABASE_URL'] === event.databaseUrl });
      },
    });
    try {
      const target = uniqueName('hooked');
      hooked.createApp(target);
      const first = await hooked.addDatabase(target);
      const second = await hooked.addDatabase(target, { as: 'NEXT' });
      await api(hooked, 'POST', '/addon-attachments', { addon: first.name, app: target, confirm: target });
      const answer = await api(hooked, 'POST', '/addon-attachments', {
        addon: second.name,
        app: target,
        name: 'DATABASE',
        confirm: target,
      });
      expect(answer.status).toBe(201);
      expect(observed.filter((entry) => entry.name === 'DATABASE')).toEqual([{ name: 'DATABASE', liveBefore: false }]);
      expect(hooked.configVars(target)['DATABASE_URL']).toBe(hooked.databaseUrl(second.name));
    } finally {
      await hooked.close();
    }
  });
});

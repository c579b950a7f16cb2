// The programmatic and /__sim/ admin surfaces, fixtures, the events log and close().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture, type SimEvent, type Simulator } from '../../src/sim/index.js';
import { createTestDatabase } from '../support/databases.js';
import { api, databaseExists, query, SEED_SQL, settled, startSim, uniqueName } from './helpers.js';

async function admin<T>(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('admin surface', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('loads a fixture: apps, seeded databases, shared attachments', async () => {
    const prod = uniqueName('prod');
    const staging = uniqueName('stg');
    const prodDb = `${prod}-db`;
    const loaded = await loadFixture(sim, {
      apps: [
        { name: prod, databases: [{ as: 'DATABASE', name: prodDb, plan: 'heroku-postgresql:standard-0', seedSql: SEED_SQL }] },
        { name: staging, releasePhase: true, databases: [{ as: 'DATABASE' }], attachments: [{ addon: prodDb, as: 'PROD' }] },
      ],
    });
    expect(loaded.apps.map((app) => app.name)).toEqual([prod, staging]);
    expect(loaded.addons).toHaveLength(2);
    const rows = await query<{ n: string }>(sim.databaseUrl(prodDb), 'SELECT count(*) AS n FROM customers');
    expect(rows[0]?.n).toBe('2');
    expect(sim.configVars(staging)['PROD_URL']).toBe(sim.databaseUrl(prodDb));
    await expect(loadFixture(sim, { apps: [{ databases: [] }] })).rejects.toThrow(/apps\.0\.name/);
  });

  it('seeds a database from an existing one on the server', async () => {
    const seed = await createTestDatabase('simseed');
    try {
      await query(seed.url, SEED_SQL);
      const app = uniqueName('seeded');
      sim.createApp(app);
      const addon = await sim.addDatabase(app, { fromDatabase: seed.name });
      const rows = await query<{ email: string }>(sim.databaseUrl(addon.name), 'SELECT email FROM customer_emails ORDER BY 1');
      expect(rows.map((row) => row.email)).toEqual(['ada@example.com', 'grace@example.com']);
    } finally {
      await seed.drop();
    }
  });

  it('seeds and injects faults over HTTP under /__sim/', async () => {
    const app = uniqueName('httpseed');
    expect((await admin(sim, 'POST', '/__sim/apps', { name: app })).status).toBe(201);
    const database = await admin<{ name: string }>(sim, 'POST', '/__sim/databases', {
      app,
      plan: 'heroku-postgresql:standard-0',
      seedSql: SEED_SQL,
    });
    expect(database.status).toBe(201);
    const url = await admin<{ url: string }>(sim, 'GET', `/__sim/addons/${database.body.name}/url`);
    expect(url.body.url).toBe(sim.databaseUrl(database.body.name));
    expect(
      (await admin(sim, 'POST', '/__sim/faults', { method: 'GET', pathPattern: '^/apps/[^/]+/config-vars$', kind: { status: 500 } }))
        .status,
    ).toBe(201);
    expect((await api(sim, 'GET', `/apps/${app}/config-vars`)).status).toBe(500);
    expect((await api(sim, 'GET', `/apps/${app}/config-vars`)).status).toBe(200);
    const state = await admin<{ apps: Array<{ name: string; configVarNames: string[] }> }>(sim, 'GET', '/__sim/state');
    expect(state.body.apps.find((entry) => entry.name === app)?.configVarNames).toEqual(['DATABASE_URL']);
    expect(JSON.stringify(state.body)).not.toContain(new URL(sim.databaseUrl(database.body.name)).password);
    const bad = await admin<{ id: string }>(sim, 'POST', '/__sim/databases', { plan: 'x' });
    expect(bad.status).toBe(422);
    await admin(sim, 'POST', '/__sim/fail-next-fork', { message: 'from admin' });
    const forked = await api<{ name: string }>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'FORK' },
      config: { fork: database.body.name },
    });
    expect((await settled(sim, app, forked.body.name)).state).toBe('deprovisioned');
  });

  it('logs every mutation with a monotonic seq, ids, names, and no secrets', async () => {
    const app = uniqueName('logged');
    const before = sim.events.length;
    sim.createApp(app);
    const addon = await sim.addDatabase(app);
    const events = (await admin<SimEvent[]>(sim, 'GET', `/__sim/events?since=${before}`)).body;
    expect(events.map((event) => event.type)).toEqual([
      'app.created',
      'release.created',
      'addon.created',
      'attachment.created',
      'addon.provisioned',
      'addon.available',
      'config.changed',
      'release.created',
    ]);
    expect(events.every((event, index) => index === 0 || event.seq === (events[index - 1]?.seq ?? 0) + 1)).toBe(true);
    const attached = events.find((event) => event.type === 'attachment.created');
    expect(attached).toMatchObject({ app: { name: app }, addon: { id: addon.id, name: addon.name }, attachment: { name: 'DATABASE' } });
    const password = new URL(sim.databaseUrl(addon.name)).password;
    expect(JSON.stringify(sim.events)).not.toContain(password);
    expect(sim.requests.every((request) => !request.path.startsWith('/__sim/'))).toBe(true);
  });

  it('drops every database it created on close()', async () => {
    const own = await startSim();
    const app = uniqueName('closing');
    own.createApp(app);
    const addon = await own.addDatabase(app);
    const created = await api<{ name: string }>(own, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'SECOND' },
    });
    const second = await settled(own, app, created.body.name);
    const names = [addon.databaseName, own.addons(app).find((entry) => entry.name === second.name)?.databaseName ?? ''];
    for (const name of names) expect(await databaseExists(name)).toBe(true);
    await own.close();
    for (const name of names) expect(await databaseExists(name)).toBe(false);
    const roles = await query<{ n: string }>(
      (await import('../support/databases.js')).serverUrl(),
      'SELECT count(*) AS n FROM pg_roles WHERE rolname = ANY($1)',
      [names.map((name) => name.replace('sim_d', 'sim_u'))],
    );
    expect(roles[0]?.n).toBe('0');
  });
});

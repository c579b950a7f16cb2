// Add-on create with config.fork: provisioning, a real forked database owned by its own role,
// the data API's 404 -> preparing -> available, and the refusals Heroku makes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { adminQuery, serverUrl } from '../support/databases.js';
import {
  type AddonBody,
  api,
  type ErrorBody,
  eventually,
  query,
  SEED_SQL,
  settled,
  startSim,
  uniqueName,
  waitAvailable,
} from './helpers.js';

describe('forking a database', () => {
  let sim: Simulator;
  const prod = uniqueName('prod');
  const staging = uniqueName('staging');
  let prodAddon: string;

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(prod);
    sim.createApp(staging);
    prodAddon = (await sim.addDatabase(prod, { plan: 'heroku-postgresql:standard-0', seedSql: SEED_SQL })).name;
    await sim.addDatabase(staging, { plan: 'heroku-postgresql:standard-0' });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers 202 provisioning, then provisioned with a config var for its attachment', async () => {
    const name = uniqueName('refork-fork');
    const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      name,
      attachment: { name: 'REFORK_FORK' },
      config: { fork: `${prod}::DATABASE_URL`, fast: 'true' },
    });
    expect(created.status).toBe(202);
    expect(created.body.state).toBe('provisioning');
    expect(created.body.config_vars).toEqual([]);
    const done = await settled(sim, staging, name);
    expect(done.state).toBe('provisioned');
    expect(done.config_vars).toEqual(['REFORK_FORK_URL']);
    expect(sim.configVars(staging)['REFORK_FORK_URL']).toBe(sim.databaseUrl(name));
  });

  it('copies the source rows into a database owned by a non-superuser role', async () => {
    const name = uniqueName('refork-fork');
    const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: { name: 'heroku-postgresql:standard-0' },
      name,
      attachment: { name: 'REFORK_COPY' },
      config: { fork: prodAddon, fast: true },
    });
    expect(created.status).toBe(202);
    await settled(sim, staging, name);
    await waitAvailable(sim, created.body.id);
    const url = sim.databaseUrl(name);
    const rows = await query<{ email: string }>(url, 'SELECT email FROM customers ORDER BY id');
    expect(rows.map((row) => row.email)).toEqual(['ada@example.com', 'grace@example.com']);
    await query(url, "UPDATE customers SET email = 'masked@example.test'");
    const [role] = await query<{ rolsuper: boolean; owns: boolean }>(
      url,
      `SELECT r.rolsuper, (SELECT bool_and(c.relowner = r.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public') AS owns
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(role).toEqual({ rolsuper: false, owns: true });
    // Production is untouched by the fork's writes.
    const prodRows = await query<{ email: string }>(sim.databaseUrl(prodAddon), 'SELECT email FROM customers ORDER BY id');
    expect(prodRows[0]?.email).toBe('ada@example.com');
  });

  it("leaves production's sessions alone while it forks, as Heroku does", async () => {
    // A session on production (an app's, or refork's own preflight reading table sizes) is open
    // when the fork is copied; it is still usable afterwards, and the fork still comes.
    const session = new pg.Client({ connectionString: sim.databaseUrl(prodAddon) });
    await session.connect();
    try {
      await session.query('SELECT 1');
      const name = uniqueName('refork-fork');
      const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        name,
        attachment: { name: 'REFORK_BUSY' },
        config: { fork: prodAddon, fast: true },
      });
      expect(created.status).toBe(202);
      // The copy is waiting for the session to end: production answers it meanwhile.
      await eventually(async () => {
        const copying = await adminQuery(serverUrl(), "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE % TEMPLATE %'");
        return copying.rows.length > 0 ? true : undefined;
      });
      expect((await session.query<{ n: number }>('SELECT count(*)::int AS n FROM customers')).rows[0]?.n).toBe(2);
      await session.end();
      await settled(sim, staging, name);
      await waitAvailable(sim, created.body.id);
      const rows = await query<{ email: string }>(sim.databaseUrl(name), 'SELECT email FROM customers ORDER BY id');
      expect(rows).toHaveLength(2);
    } finally {
      await session.end().catch(() => {});
    }
  });

  it('reports 404, then waiting "preparing", then "available" on the data API', async () => {
    const slow = await startSim({ dataApi404Ms: 300, waitingMs: 300, provisionDelayMs: 30 });
    try {
      const app = uniqueName('slow');
      slow.createApp(app);
      const source = await slow.addDatabase(app, { seedSql: SEED_SQL });
      const created = await api<AddonBody>(slow, 'POST', `/apps/${app}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'REFORK_SLOW' },
        config: { fork: source.name },
      });
      const seen: string[] = [];
      await eventually(async () => {
        const answer = await api<{ 'waiting?': boolean; message: string }>(
          slow,
          'GET',
          `/client/v11/databases/${created.body.id}/wait_status`,
        );
        const label = answer.status === 404 ? '404' : answer.body.message;
        if (seen.at(-1) !== label) seen.push(label);
        return label === 'available' ? true : undefined;
      });
      expect(seen[0]).toBe('404');
      expect(seen).toContain('preparing');
      expect(seen.at(-1)).toBe('available');
      const info = await api<{ addon_id: string; forked_from: string; 'waiting?': boolean }>(
        slow,
        'GET',
        `/client/v11/databases/${created.body.id}`,
      );
      expect(info.body).toMatchObject({ addon_id: created.body.id, forked_from: source.name, 'waiting?': false });
    } finally {
      await slow.close();
    }
  });

  it('refuses logins to a fork that is still preparing', async () => {
    const slow = await startSim({ dataApi404Ms: 0, waitingMs: 60_000 });
    try {
      const app = uniqueName('slow');
      slow.createApp(app);
      const source = await slow.addDatabase(app);
      const created = await api<AddonBody>(slow, 'POST', `/apps/${app}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'EARLY' },
        config: { fork: source.name },
      });
      await settled(slow, app, created.body.name);
      await expect(query(slow.databaseUrl(created.body.name), 'SELECT 1')).rejects.toThrow(/not permitted to log in/);
    } finally {
      await slow.close();
    }
  });

  it('accepts a full database URL or a config var of the same app as the fork source', async () => {
    const byUrl = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'BY_URL' },
      config: { fork: sim.databaseUrl(prodAddon) },
    });
    expect(byUrl.status).toBe(202);
    sim.attach(prodAddon, staging, 'PROD');
    const byVar = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'BY_VAR' },
      config: { fork: 'PROD_URL' },
    });
    expect(byVar.status).toBe(202);
    for (const created of [byUrl, byVar]) {
      await settled(sim, staging, created.body.name);
      const info = await eventually(async () => {
        const answer = await api<{ forked_from: string }>(sim, 'GET', `/client/v11/databases/${created.body.id}`);
        return answer.status === 200 ? answer.body : undefined;
      });
      expect(info.forked_from).toBe(prodAddon);
    }
  });

  it('refuses to fork a database that is not available yet', async () => {
    const slow = await startSim({ waitingMs: 60_000 });
    try {
      const app = uniqueName('slow');
      slow.createApp(app);
      const source = await slow.addDatabase(app);
      const first = await api<AddonBody>(slow, 'POST', `/apps/${app}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'FIRST' },
        config: { fork: source.name },
      });
      await settled(slow, app, first.body.name);
      const second = await api<ErrorBody>(slow, 'POST', `/apps/${app}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'SECOND' },
        config: { fork: first.body.name },
      });
      expect(second.status).toBe(422);
      expect(second.body.message).toContain('not available for forking');
    } finally {
      await slow.close();
    }
  });

  it('creates an empty, unforked database when fork is sent at the top level', async () => {
    const name = uniqueName('toplevel');
    const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      name,
      attachment: { name: 'TOPLEVEL' },
      fork: `${prod}::DATABASE_URL`,
    });
    expect(created.status).toBe(202);
    await settled(sim, staging, name);
    await waitAvailable(sim, created.body.id);
    const tables = await query(sim.databaseUrl(name), "SELECT 1 FROM pg_tables WHERE schemaname = 'public'");
    expect(tables).toEqual([]);
    const info = await api<{ forked_from: string | null }>(sim, 'GET', `/client/v11/databases/${created.body.id}`);
    expect(info.body.forked_from).toBeNull();
  });

  it('refuses a duplicate add-on name with 422 "Name is already taken"', async () => {
    const answer = await api<ErrorBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      name: prodAddon,
      attachment: { name: 'DUP' },
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({ id: 'invalid_params', message: 'Name is already taken' });
  });

  it('refuses forks of plans below Standard and of followers', async () => {
    const essential = await sim.addDatabase(prod, { plan: 'heroku-postgresql:essential-0' });
    const follower = await sim.addDatabase(prod, {
      plan: 'heroku-postgresql:standard-0',
      follower: true,
      fromDatabase: essential.databaseName,
    });
    for (const source of [essential.name, follower.name]) {
      const answer = await api<ErrorBody>(sim, 'POST', `/apps/${staging}/addons`, {
        plan: 'heroku-postgresql:standard-0',
        attachment: { name: 'REFUSED' },
        config: { fork: source },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.id).toBe('invalid_params');
    }
    expect(sim.addons(staging).some((addon) => sim.attachments(staging).some((a) => a.name === 'REFUSED' && a.addon.id === addon.id))).toBe(
      false,
    );
  });

  // docs/heroku-api.md#plans: essential (and legacy mini/basic/dev) and hobby cannot be a fork source;
  // Standard and higher can. The positive cases keep this from passing by refusing everything.
  it.each([
    ['essential-0', false],
    ['essential-2', false],
    ['mini', false],
    ['basic', false],
    ['dev', false],
    ['hobby-dev', false],
    ['hobby-basic', false],
    ['standard-0', true],
    ['premium-2', true],
  ])('forks from a heroku-postgresql:%s source: %s', async (tier, allowed) => {
    const source = await sim.addDatabase(prod, { plan: `heroku-postgresql:${tier}` });
    const answer = await api<ErrorBody & AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: `FORK_${tier.replace('-', '_').toUpperCase()}` },
      config: { fork: source.name },
    });
    if (allowed) {
      expect(answer.status).toBe(202);
      expect(answer.body.state).toBe('provisioning');
    } else {
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ id: 'invalid_params', message: expect.stringContaining('Standard-tier') });
    }
  });

  it('refuses an unknown fork source and never echoes a URL password', async () => {
    const answer = await api<ErrorBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      config: { fork: 'postgres://u:secret-password@example.invalid/db' },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).not.toContain('secret-password');
  });

  it('ends a fork deprovisioned with wait_status error? after failNextFork', async () => {
    sim.failNextFork({ message: 'simulated fork failure' });
    const name = uniqueName('doomed');
    const created = await api<AddonBody>(sim, 'POST', `/apps/${staging}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      name,
      attachment: { name: 'DOOMED' },
      config: { fork: prodAddon },
    });
    const done = await settled(sim, staging, name);
    expect(done.state).toBe('deprovisioned');
    const status = await eventually(async () => {
      const answer = await api<{ 'error?': boolean; message: string }>(sim, 'GET', `/client/v11/databases/${created.body.id}/wait_status`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(status).toMatchObject({ 'error?': true, message: 'simulated fork failure' });
    expect(sim.configVars(staging)['DOOMED_URL']).toBeUndefined();
    expect(sim.addons(staging).map((addon) => addon.name)).not.toContain(name);
    expect(sim.events.some((event) => event.type === 'addon.failed' && event.addon?.name === name)).toBe(true);
  });

  it('serves the default credential on the data API with Basic auth', async () => {
    const basic = Buffer.from(`:${(await import('./helpers.js')).TOKEN}`).toString('base64');
    const answer = await api<{ database: string; credentials: Array<{ user: string; password: string; state: string }> }>(
      sim,
      'GET',
      `/postgres/v0/databases/${prodAddon}/credentials/default`,
      undefined,
      { Authorization: `Basic ${basic}` },
    );
    expect(answer.status).toBe(200);
    const [credential] = answer.body.credentials;
    expect(credential?.state).toBe('active');
    expect(sim.databaseUrl(prodAddon)).toContain(`${credential?.user}:${credential?.password}@`);
  });
});

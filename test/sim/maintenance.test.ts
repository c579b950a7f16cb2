// The app's maintenance attribute: kept per app, reported by GET /apps/{app}, set (not toggled)
// by PATCH, refused when malformed, and hit by injected faults like every other route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { api, type ErrorBody, startSim, uniqueName } from './helpers.js';

type AppBody = { name: string; maintenance: boolean; updated_at: string };

describe('maintenance mode', () => {
  let sim: Simulator;
  const app = uniqueName('app');
  const other = uniqueName('app');

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(app);
    sim.createApp(other, { maintenance: true });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('is off by default, per app, and PATCH sets it; a repeat changes nothing', async () => {
    expect((await api<AppBody>(sim, 'GET', `/apps/${app}`)).body.maintenance).toBe(false);
    expect((await api<AppBody>(sim, 'GET', `/apps/${other}`)).body.maintenance).toBe(true);
    const on = await api<AppBody>(sim, 'PATCH', `/apps/${app}`, { maintenance: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ name: app, maintenance: true });
    expect((await api<AppBody>(sim, 'PATCH', `/apps/${app}`, { maintenance: true })).body.maintenance).toBe(true);
    expect(sim.events.filter((e) => e.type === 'app.updated' && e.app?.name === app).map((e) => e.detail)).toEqual([{ maintenance: true }]);
    expect(sim.app(app).maintenance).toBe(true);
    expect(sim.app(other).maintenance).toBe(true);
    await api(sim, 'PATCH', `/apps/${app}`, { maintenance: false });
    expect((await api<AppBody>(sim, 'GET', `/apps/${app}`)).body.maintenance).toBe(false);
  });

  it('refuses a value that is not a boolean, and fields it does not simulate', async () => {
    const notBoolean = await api<ErrorBody>(sim, 'PATCH', `/apps/${app}`, { maintenance: 'on' });
    expect(notBoolean.status).toBe(422);
    expect(notBoolean.body.id).toBe('invalid_params');
    expect((await api<ErrorBody>(sim, 'PATCH', `/apps/${app}`, { name: 'renamed' })).status).toBe(422);
    expect(sim.app(app).maintenance).toBe(false);
  });

  it('applies the change and drops the answer when told to (applyThenDrop), and answers injected errors without applying', async () => {
    sim.faults.add({ method: 'PATCH', path: `/apps/${app}`, kind: { status: 503 } });
    expect((await api(sim, 'PATCH', `/apps/${app}`, { maintenance: true })).status).toBe(503);
    expect(sim.app(app).maintenance).toBe(false);
    sim.faults.add({ method: 'PATCH', path: `/apps/${app}`, kind: 'applyThenDrop' });
    await expect(api(sim, 'PATCH', `/apps/${app}`, { maintenance: true })).rejects.toThrow();
    expect(sim.app(app).maintenance).toBe(true);
  });
});

// Injected faults: error answers, held requests, dropped sockets, and "applied but not
// acknowledged".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type AddonBody, api, type ErrorBody, eventually, startSim, uniqueName } from './helpers.js';

describe('faults', () => {
  let sim: Simulator;
  const app = uniqueName('app');

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(app);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers an injected status with Heroku error body and Retry-After, `times` times', async () => {
    sim.faults.add({
      method: 'GET',
      path: `/apps/${app}/addons`,
      times: 2,
      kind: { status: 503, message: 'down for a bit', retryAfterSeconds: 3 },
    });
    const first = await api<ErrorBody>(sim, 'GET', `/apps/${app}/addons`);
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ id: 'service_unavailable', message: 'down for a bit' });
    expect(first.headers.get('retry-after')).toBe('3');
    expect((await api(sim, 'GET', `/apps/${app}/addons`)).status).toBe(503);
    expect((await api(sim, 'GET', `/apps/${app}/addons`)).status).toBe(200);
  });

  it('matches by RegExp and method only', async () => {
    sim.faults.add({ method: 'POST', path: /\/addons$/, kind: { status: 500 } });
    expect((await api(sim, 'GET', `/apps/${app}/addons`)).status).toBe(200);
    const failed = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql:essential-0' });
    expect(failed.status).toBe(500);
    expect(failed.body.id).toBe('internal_server_error');
    expect(sim.addons(app)).toEqual([]);
  });

  it('drops the socket before doing anything', async () => {
    sim.faults.add({ method: 'POST', path: `/apps/${app}/addons`, kind: 'drop' });
    await expect(
      api(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql:essential-0', name: uniqueName('dropped') }),
    ).rejects.toThrow();
    expect(sim.addons(app)).toEqual([]);
    expect(sim.requests.at(-1)).toMatchObject({ method: 'POST', status: 0, fault: 'drop' });
  });

  it('holds a timed-out request until the client gives up, with no side effect', async () => {
    sim.faults.add({ path: `/apps/${app}/addons`, kind: 'timeout' });
    const request = fetch(`${sim.url}/apps/${app}/addons`, {
      method: 'POST',
      headers: {
        Accept: 'application/vnd.heroku+json; version=3',
        Authorization: `Bearer ${(await import('./helpers.js')).TOKEN}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ plan: 'heroku-postgresql:essential-0' }),
      signal: AbortSignal.timeout(300),
    });
    await expect(request).rejects.toThrow();
    expect(sim.addons(app)).toEqual([]);
  });

  it('releases held requests on close()', async () => {
    const own = await startSim();
    own.faults.add({ path: '/account', kind: 'timeout' });
    const held = api(own, 'GET', '/account');
    await eventually(() => (own.requests.length === 1 ? true : undefined));
    await own.close();
    await expect(held).rejects.toThrow();
  });

  it('applies the request, then drops the socket (applyThenDrop)', async () => {
    const name = uniqueName('applied');
    sim.faults.add({ method: 'POST', path: `/apps/${app}/addons`, kind: 'applyThenDrop' });
    await expect(
      api(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql:essential-0', name, attachment: { name: 'APPLIED' } }),
    ).rejects.toThrow();
    expect(sim.addons(app).map((addon) => addon.name)).toEqual([name]);
    const retry = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:essential-0',
      name,
      attachment: { name: 'APPLIED' },
    });
    expect(retry.body.message).toBe('Name is already taken');
    const found = await eventually(async () => {
      const answer = await api<AddonBody>(sim, 'GET', `/apps/${app}/addons/${name}`);
      return answer.body.state === 'provisioned' ? answer.body : undefined;
    });
    expect(found.name).toBe(name);
  });

  it('clears every rule', async () => {
    sim.faults.add({ path: '/account', times: 5, kind: { status: 500 } });
    sim.faults.clear();
    expect((await api(sim, 'GET', '/account')).status).toBe(200);
  });
});

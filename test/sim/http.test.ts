// The HTTP contract around every call: Accept, token, error shapes, headers, rate limit, Range.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type AddonBody, api, type ErrorBody, startSim, TOKEN, uniqueName } from './helpers.js';

describe('HTTP contract', () => {
  let sim: Simulator;
  const app = uniqueName('app');

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(app);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers JSON with RateLimit-Remaining and Request-Id', async () => {
    const answer = await api(sim, 'GET', '/account');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(Number(answer.headers.get('ratelimit-remaining'))).toBeGreaterThan(0);
    expect(answer.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 406 not_acceptable without the version 3 Accept header, and accepts version=3.sdk', async () => {
    const missing = await api<ErrorBody>(sim, 'GET', '/account', undefined, { Accept: 'application/json' });
    expect(missing.status).toBe(406);
    expect(missing.body.id).toBe('not_acceptable');
    const sdk = await api(sim, 'GET', '/account', undefined, { Accept: 'application/vnd.heroku+json; version=3.sdk' });
    expect(sdk.status).toBe(200);
  });

  it('answers 401 unauthorized for a missing or wrong token, and accepts Basic with the token as password', async () => {
    const wrong = await api<ErrorBody>(sim, 'GET', '/account', undefined, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.id).toBe('unauthorized');
    const response = await fetch(`${sim.url}/account`, { headers: { Accept: 'application/vnd.heroku+json; version=3' } });
    expect(response.status).toBe(401);
    const basic = Buffer.from(`:${TOKEN}`).toString('base64');
    const ok = await api(sim, 'GET', '/account', undefined, { Authorization: `Basic ${basic}` });
    expect(ok.status).toBe(200);
  });

  it('names the missing resource in 404 bodies', async () => {
    const noApp = await api<ErrorBody>(sim, 'GET', '/apps/no-such-app/addons');
    expect(noApp.status).toBe(404);
    expect(noApp.body).toMatchObject({ id: 'not_found', resource: 'app' });
    const noAddon = await api<ErrorBody>(sim, 'GET', '/addons/no-such-addon');
    expect(noAddon.body).toMatchObject({ id: 'not_found', resource: 'add_on' });
    const noAttachment = await api<ErrorBody>(sim, 'GET', `/apps/${app}/addon-attachments/NOPE`);
    expect(noAttachment.body).toMatchObject({ id: 'not_found', resource: 'add_on attachment' });
  });

  it('answers 422 invalid_params for bad parameters', async () => {
    const noPlan = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { name: 'x-valid' });
    expect(noPlan.status).toBe(422);
    expect(noPlan.body.id).toBe('invalid_params');
    const badName = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql:standard-0', name: '9-starts-with-digit' });
    expect(badName.status).toBe(422);
    const badPlan = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-redis:mini' });
    expect(badPlan.status).toBe(422);
    const badConfig = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql:standard-0', config: { fork: 3 } });
    expect(badConfig.status).toBe(422);
    expect(sim.addons(app)).toEqual([]);
  });

  it('answers 429 rate_limit when the bucket is empty; GET /account/rate-limits is free', async () => {
    const limited = await startSim({ rateLimit: { capacity: 3, refillPerMinute: 0 } });
    try {
      for (let call = 0; call < 3; call += 1) expect((await api(limited, 'GET', '/account')).status).toBe(200);
      const refused = await api<ErrorBody>(limited, 'GET', '/account');
      expect(refused.status).toBe(429);
      expect(refused.body.id).toBe('rate_limit');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      const remaining = await api<{ remaining: number }>(limited, 'GET', '/account/rate-limits');
      expect(remaining.status).toBe(200);
      expect(remaining.body).toEqual({ remaining: 0 });
    } finally {
      await limited.close();
    }
  });

  it('pages lists with Range and Next-Range', async () => {
    const paged = uniqueName('paged');
    sim.createApp(paged);
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const answer = await api<AddonBody>(sim, 'POST', `/apps/${paged}/addons`, { plan: 'heroku-postgresql:essential-0', attachment: { name: `DB_${index}` } });
      created.push(answer.body.name);
    }
    const seen: string[] = [];
    let range: string | null = 'name ..; max=2';
    let pages = 0;
    while (range !== null) {
      const answer: { status: number; body: AddonBody[]; headers: Headers } = await api<AddonBody[]>(sim, 'GET', `/apps/${paged}/addons`, undefined, { Range: range });
      pages += 1;
      expect(answer.status).toBe(answer.headers.get('next-range') ? 206 : 200);
      seen.push(...answer.body.map((addon) => addon.name));
      range = answer.headers.get('next-range');
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].sort((a, b) => a.localeCompare(b)));
    const bad = await api<ErrorBody>(sim, 'GET', `/apps/${paged}/addons`, undefined, { Range: 'colour ..' });
    expect(bad.status).toBe(416);
  });

  it('lists releases newest first with order=desc and finds one by version', async () => {
    const releases = await api<Array<{ version: number; description: string }>>(sim, 'GET', `/apps/${app}/releases`, undefined, {
      Range: 'version ..; max=5, order=desc',
    });
    expect(releases.status).toBe(200);
    expect(releases.body[0]?.description).toBe('Initial release');
    const one = await api<{ version: number }>(sim, 'GET', `/apps/${app}/releases/1`);
    expect(one.body.version).toBe(1);
  });

  it('answers 404 for an unknown endpoint', async () => {
    const answer = await api<ErrorBody>(sim, 'GET', '/no/such/endpoint');
    expect(answer.status).toBe(404);
    expect(answer.body.id).toBe('not_found');
  });
});

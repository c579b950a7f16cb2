// The HTTP contract around every call: Accept, token, error shapes, headers, rate limit, Range.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
    const badName = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      name: '9-starts-with-digit',
    });
    expect(badName.status).toBe(422);
    const badPlan = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, { plan: 'heroku-redis:mini' });
    expect(badPlan.status).toBe(422);
    const badConfig = await api<ErrorBody>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      config: { fork: 3 },
    });
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

  it('starts with a bucket of 4,500 by default', async () => {
    const fresh = await startSim();
    try {
      expect((await api(fresh, 'GET', '/account/rate-limits')).body).toEqual({ remaining: 4500 });
    } finally {
      await fresh.close();
    }
  });

  it('refills the bucket continuously at the configured rate (75 a minute on Heroku), up to its capacity', async () => {
    // Only Date is faked: the bucket reads the clock, the sockets keep their real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-06-01T00:00:00Z').getTime();
    vi.setSystemTime(start);
    const limited = await startSim({ rateLimit: { capacity: 100, refillPerMinute: 75 } });
    try {
      const seen: Array<string | null> = [];
      for (let call = 0; call < 100; call += 1) seen.push((await api(limited, 'GET', '/account')).headers.get('ratelimit-remaining'));
      expect(seen.slice(0, 2)).toEqual(['99', '98']);
      expect(seen.at(-1)).toBe('0');
      expect((await api(limited, 'GET', '/account')).status).toBe(429);
      // One token per 800 ms: not yet at 700 ms, one at 1,000 ms (with 0.25 left over).
      vi.setSystemTime(start + 700);
      expect((await api(limited, 'GET', '/account')).status).toBe(429);
      vi.setSystemTime(start + 1_000);
      expect((await api(limited, 'GET', '/account')).status).toBe(200);
      expect((await api(limited, 'GET', '/account')).status).toBe(429);
      vi.setSystemTime(start + 61_000);
      expect((await api(limited, 'GET', '/account/rate-limits')).body).toEqual({ remaining: 75 });
      vi.setSystemTime(start + 10 * 60_000);
      expect((await api(limited, 'GET', '/account/rate-limits')).body).toEqual({ remaining: 100 });
    } finally {
      vi.useRealTimers();
      await limited.close();
    }
  });

  it('sends RateLimit-Remaining on every answer, errors and the data API included', async () => {
    const answers = [
      await api(sim, 'GET', '/account'),
      await api(sim, 'GET', '/account', undefined, { Accept: 'application/json' }),
      await api(sim, 'GET', '/account', undefined, { Authorization: 'Bearer nope' }),
      await api(sim, 'GET', '/apps/no-such-app/addons'),
      await api(sim, 'POST', `/apps/${app}/addons`, {}),
      await api(sim, 'GET', '/no/such/endpoint'),
      await api(sim, 'GET', '/client/v11/databases/00000000-0000-0000-0000-000000000000/wait_status'),
      await api(sim, 'GET', '/account/rate-limits'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 406, 401, 404, 422, 404, 404, 200]);
    for (const answer of answers) expect(answer.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
  });

  it('expands plan and addon_service on add-on answers only when asked with Accept-Expansion', async () => {
    const created = await api<AddonBody>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'EXPANDED' },
    });
    const plain = await api<Record<string, unknown>>(sim, 'GET', `/apps/${app}/addons/${created.body.name}`);
    expect(Object.keys(plain.body['plan'] as object).sort()).toEqual(['id', 'name']);
    expect(Object.keys(plain.body['addon_service'] as object).sort()).toEqual(['id', 'name']);
    const expanded = await api<Record<string, unknown>>(sim, 'GET', `/apps/${app}/addons/${created.body.name}`, undefined, {
      'Accept-Expansion': 'addon_service,plan',
    });
    // The CLI prints the plan's price ("~$0.069/hour (max $50/month)") from this.
    expect(expanded.body['plan']).toMatchObject({
      name: 'heroku-postgresql:standard-0',
      price: { cents: 5000, contract: false, unit: 'month' },
      state: 'public',
    });
    expect(expanded.body['addon_service']).toMatchObject({ name: 'heroku-postgresql', human_name: 'Heroku Postgres', state: 'ga' });
  });

  it('pages lists with Range and Next-Range', async () => {
    const paged = uniqueName('paged');
    sim.createApp(paged);
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const answer = await api<AddonBody>(sim, 'POST', `/apps/${paged}/addons`, {
        plan: 'heroku-postgresql:essential-0',
        attachment: { name: `DB_${index}` },
      });
      created.push(answer.body.name);
    }
    const seen: string[] = [];
    let range: string | null = 'name ..; max=2';
    let pages = 0;
    while (range !== null) {
      const answer: { status: number; body: AddonBody[]; headers: Headers } = await api<AddonBody[]>(
        sim,
        'GET',
        `/apps/${paged}/addons`,
        undefined,
        { Range: range },
      );
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
    // An app of its own: an add-on an earlier test created may finish provisioning (a release) at any time.
    const fresh = uniqueName('releases');
    sim.createApp(fresh);
    const newest = await api<{ version: number }>(sim, 'POST', '/addon-attachments', {
      addon: (await sim.addDatabase(fresh)).name,
      app: fresh,
      name: 'SECOND',
    });
    expect(newest.status).toBe(201);
    const releases = await api<Array<{ version: number; description: string }>>(sim, 'GET', `/apps/${fresh}/releases`, undefined, {
      Range: 'version ..; max=5, order=desc',
    });
    expect(releases.status).toBe(200);
    expect(releases.body.map((release) => release.version)).toEqual([3, 2, 1]);
    expect(releases.body.at(-1)?.description).toBe('Initial release');
    const one = await api<{ version: number }>(sim, 'GET', `/apps/${fresh}/releases/1`);
    expect(one.body.version).toBe(1);
  });

  it('answers 404 for an unknown endpoint', async () => {
    const answer = await api<ErrorBody>(sim, 'GET', '/no/such/endpoint');
    expect(answer.status).toBe(404);
    expect(answer.body.id).toBe('not_found');
  });
});

// One rate budget per token per process: waits stretch as Heroku's bucket empties, and a 429
// seen by one call holds every other call of the process until its Retry-After has passed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEROKU_REQUESTS_PER_HOUR, RateBudget, rateBudgetFor } from '../../src/heroku/budget.js';
import { clientFor, TOKEN } from './client-fixture.js';
import { json, startFakeHeroku, type FakeHeroku } from './fake-heroku.js';

describe('RateBudget', () => {
  it('leaves waits alone while half the bucket or more is left, then stretches them more the emptier it is', () => {
    const budget = new RateBudget();
    expect(budget.stretch(60_000)).toBe(60_000); // nothing seen yet
    budget.observe(HEROKU_REQUESTS_PER_HOUR / 2);
    expect(budget.stretch(60_000)).toBe(60_000);
    budget.observe(HEROKU_REQUESTS_PER_HOUR / 4);
    expect(budget.stretch(60_000)).toBe(240_000);
    budget.observe(HEROKU_REQUESTS_PER_HOUR / 10);
    expect(budget.stretch(60_000)).toBeCloseTo(1_500_000);
    budget.observe(0);
    expect(budget.stretch(60_000)).toBe(30 * 60_000);
  });

  it('is one per token in a process', () => {
    expect(rateBudgetFor('token-a')).toBe(rateBudgetFor('token-a'));
    expect(rateBudgetFor('token-a')).not.toBe(rateBudgetFor('token-b'));
  });
});

describe('a client on the budget', () => {
  let fake: FakeHeroku;
  beforeEach(async () => {
    fake = await startFakeHeroku();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('feeds RateLimit-Remaining into the budget it shares with the other clients of the token', async () => {
    const budget = new RateBudget();
    const first = clientFor(fake, { budget });
    const second = clientFor(fake, { budget });
    fake.queue(json(200, [], { 'RateLimit-Remaining': '900' }));
    await first.client.listFormation('stg');
    expect(second.client.budget.remaining).toBe(900);
    expect(second.client.budget.stretch(1_000)).toBeCloseTo(1_000 * (0.5 / 0.2) ** 2);
  });

  it("holds another call of the process until a 429's Retry-After has passed", async () => {
    const budget = new RateBudget();
    const limited = clientFor(fake, { budget });
    const other = clientFor(fake, { budget });
    fake.queue(json(429, { id: 'rate_limit', message: 'slow down' }, { 'Retry-After': '20' }), json(200, []), json(200, []));
    await limited.client.listFormation('stg');
    expect(limited.delays).toEqual([20_000]);
    // The fixture's sleep returns at once, so the hold is still on: the other call waits for it first.
    await other.client.listFormation('stg');
    expect(other.delays).toHaveLength(1);
    expect(other.delays[0]).toBeGreaterThan(15_000);
    expect(other.delays[0]).toBeLessThanOrEqual(20_000);
  });

  it('shares the default budget between clients of the same token', () => {
    expect(clientFor(fake, { budget: undefined }).client.budget).toBe(rateBudgetFor(TOKEN));
  });
});

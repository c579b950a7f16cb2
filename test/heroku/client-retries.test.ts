// When the client tries again and when it must not: 5xx/429/resets with backoff and
// Retry-After, never a plain 4xx, never a POST whose outcome is unknown; aborts stop everything.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HerokuApiError, HerokuNetworkError } from '../../src/heroku/types.js';
import { addonBody, clientFor } from './client-fixture.js';
import { hang, json, reset, startFakeHeroku, type FakeHeroku } from './fake-heroku.js';

let fake: FakeHeroku;
beforeEach(async () => {
  fake = await startFakeHeroku();
});
afterEach(async () => {
  await fake.close();
});

const serverError = json(500, { id: 'internal_server_error', message: 'Internal server error.' });
const rateLimited = json(429, { id: 'rate_limit', message: 'Your account reached the API rate limit' });
const waiting = json(200, { 'waiting?': true, message: 'preparing' });
const createRequest = { plan: 'heroku-postgresql:standard-0', name: 'refork-a', attachmentName: 'REFORK_A', config: { fork: 'prod-db' } };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
}

describe('retries', () => {
  it('retries 500, 503, 429 and a reset connection on a GET, with growing full-jitter backoff', async () => {
    fake.queue(serverError, json(503, { id: 'unavailable', message: 'down' }), rateLimited, reset, waiting);
    const { client, delays } = clientFor(fake, { retry: { baseDelayMs: 100, maxDelayMs: 10_000 } });
    expect(await client.waitStatus('db-1')).toEqual({ 'waiting?': true, message: 'preparing' });
    expect(fake.requests).toHaveLength(5);
    // random() is pinned at 0.5: half of min(cap, base·2^n).
    expect(delays).toEqual([50, 100, 200, 400]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    fake.queue(serverError, serverError, serverError, waiting);
    const { client, delays } = clientFor(fake, { random: () => 0.999, retry: { baseDelayMs: 1_000, maxDelayMs: 1_500 } });
    await client.waitStatus('db-1');
    expect(delays).toEqual([999, 1_498, 1_498]);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const inTwoMinutes = new Date(Date.now() + 90_000).toUTCString();
    fake.queue(
      json(429, { id: 'rate_limit', message: 'slow down' }, { 'Retry-After': '7' }),
      json(503, { id: 'unavailable', message: 'later' }, { 'Retry-After': inTwoMinutes }),
      json(200, []),
    );
    const { client, delays } = clientFor(fake);
    await client.listAddons('stg');
    expect(delays[0]).toBe(7_000);
    expect(delays[1]).toBeGreaterThan(80_000);
    expect(delays[1]).toBeLessThanOrEqual(90_000);
  });

  it('does not sleep through a Retry-After longer than maxRetryAfterMs', async () => {
    fake.queue(json(429, { id: 'rate_limit', message: 'slow down' }, { 'Retry-After': '3600' }));
    const { client, delays } = clientFor(fake);
    const error = await rejection(client.listAddons('stg'));
    expect(error).toMatchObject({ status: 429, id: 'rate_limit', retryable: true });
    expect(delays).toEqual([]);
  });

  it('gives up after the retry limit with the last error, still retryable', async () => {
    fake.queue(serverError, serverError, serverError);
    const { client, delays } = clientFor(fake, { retry: { limit: 2 } });
    const error = await rejection(client.listAttachments('stg'));
    expect(error).toBeInstanceOf(HerokuApiError);
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(fake.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('never retries a 422 or another plain 4xx', async () => {
    fake.queue(json(422, { id: 'invalid_params', message: 'bad plan' }), json(401, { id: 'unauthorized', message: 'no' }));
    const { client, delays } = clientFor(fake);
    await expect(client.createAddon('stg', createRequest)).rejects.toMatchObject({ status: 422, retryable: false });
    await expect(client.listAddons('stg')).rejects.toMatchObject({ status: 401, retryable: false });
    expect(fake.requests).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('logs a warning per retry with the status and delay', async () => {
    fake.queue(serverError, waiting);
    const { client, logText } = clientFor(fake);
    await client.waitStatus('db-1');
    const warnings = logText()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.level === 'warn');
    expect(warnings).toEqual([expect.objectContaining({ message: 'heroku retry', status: 500, retry: 1, delayMs: 250 })]);
  });
});

describe('non-idempotent POSTs', () => {
  it('are not re-sent after a dropped connection: the outcome is unknown', async () => {
    fake.queue(reset, json(201, addonBody('refork-a')));
    const { client, delays } = clientFor(fake);
    const error = await rejection(client.createAddon('stg', createRequest));
    expect(error).toBeInstanceOf(HerokuNetworkError);
    expect(error).toMatchObject({ id: 'network_error', retryable: true, requestMayHaveBeenApplied: true });
    expect(fake.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('are not re-sent after a timeout', async () => {
    fake.queue(hang);
    const { client } = clientFor(fake, { timeoutMs: 150 });
    const error = await rejection(client.createAttachment({ addon: 'refork-a', app: 'stg', name: 'REFORK_A' }));
    expect(error).toMatchObject({ name: 'HerokuNetworkError', status: 0, id: 'timeout', retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('are not re-sent after a 500, which may follow a partial success', async () => {
    fake.queue(serverError);
    const { client } = clientFor(fake);
    await expect(client.createAddon('stg', createRequest)).rejects.toMatchObject({ status: 500, retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('are re-sent after a 429, which the rate limiter answers before doing anything', async () => {
    fake.queue(rateLimited, json(201, addonBody('refork-a')));
    const { client } = clientFor(fake);
    expect((await client.createAddon('stg', createRequest)).name).toBe('refork-a');
    expect(fake.requests).toHaveLength(2);
  });

  it('are re-sent when the connection was refused (nothing reached Heroku)', async () => {
    const { client, delays } = clientFor(fake, { apiUrl: 'http://127.0.0.1:1', retry: { limit: 2 } });
    const error = await rejection(client.createAddon('stg', createRequest));
    expect(error).toMatchObject({ id: 'network_error', code: 'ECONNREFUSED', requestMayHaveBeenApplied: false });
    expect(delays).toHaveLength(2);
  });
});

describe('idempotent requests after a lost answer', () => {
  it('retries a GET that timed out', async () => {
    fake.queue(hang, waiting);
    const { client } = clientFor(fake, { timeoutMs: 150 });
    expect(await client.waitStatus('db-1')).toMatchObject({ 'waiting?': true });
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a DELETE after a reset and reads the 404 that follows as already gone', async () => {
    fake.queue(reset, json(404, { id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' }));
    const { client } = clientFor(fake);
    expect(await client.destroyAddon('stg', 'id-refork-a')).toBeNull();
    expect(fake.requests.map((sent) => sent.method)).toEqual(['DELETE', 'DELETE']);
  });
});

describe('abort', () => {
  it('stops an in-flight request with the signal reason and does not retry', async () => {
    fake.queue(hang, waiting);
    const { client } = clientFor(fake);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 50);
    expect(await rejection(client.waitStatus('db-1', { signal: controller.signal }))).toBe(reason);
    expect(fake.requests).toHaveLength(1);
  });

  it('stops a backoff sleep with the signal reason', async () => {
    fake.queue(json(503, { id: 'unavailable', message: 'later' }, { 'Retry-After': '60' }), waiting);
    // The real sleep: the abort must cut a 60 s wait short.
    const { client } = clientFor(fake, { sleep: undefined });
    const controller = new AbortController();
    const reason = new Error('lease lost');
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 100);
    expect(await rejection(client.listFormation('stg', { signal: controller.signal }))).toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(clientFor(fake).client.listAddons('stg', { signal: controller.signal })).rejects.toThrow('too late');
    expect(fake.requests).toHaveLength(0);
  });
});

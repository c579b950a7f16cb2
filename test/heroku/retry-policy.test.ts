// The retry policy as a table: what is retried for idempotent and non-idempotent requests,
// how long to wait, and how Retry-After and Range headers are read.
import { describe, expect, it } from 'vitest';
import { HerokuApiError, HerokuNetworkError } from '../../src/heroku/errors.js';
import { firstPageRange, newestReleasesRange, nextRange } from '../../src/heroku/ranges.js';
import { abortableSleep, backoffDelay, defaultRetryPolicy, isRetryable, parseRetryAfter } from '../../src/heroku/retry.js';

const answered = (status: number) => new HerokuApiError(status, 'x', 'm', 'GET', '/p');
const lost = (sent: boolean) => new HerokuNetworkError('network_error', 'POST', '/p', 'ECONNRESET', sent);

describe('isRetryable', () => {
  it.each([
    ['429', answered(429), true, true],
    ['500', answered(500), true, false],
    ['503', answered(503), true, false],
    ['422', answered(422), false, false],
    ['404', answered(404), false, false],
    ['401', answered(401), false, false],
    ['lost after sending', lost(true), true, false],
    ['refused before sending', lost(false), true, true],
  ])('%s: idempotent %s, POST %s', (_name, error, idempotent, post) => {
    expect(isRetryable(error, true)).toBe(idempotent);
    expect(isRetryable(error, false)).toBe(post);
  });
});

describe('backoffDelay', () => {
  it('is full jitter below min(cap, base·2^n)', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([499, 999, 1_999, 3_999, 29_999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('reads delta-seconds and HTTP dates, and ignores the rest', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 12 ', now)).toBe(12_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('abortableSleep', () => {
  it('rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 10);
    await expect(abortableSleep(60_000, controller.signal)).rejects.toBe(reason);
  });
});

describe('ranges', () => {
  it('builds first-page and newest-release ranges', () => {
    expect(firstPageRange()).toBe('id ..; max=1000');
    expect(newestReleasesRange(5)).toBe('version ..; max=5, order=desc');
    expect(newestReleasesRange(5_000)).toBe('version ..; max=1000, order=desc');
    expect(newestReleasesRange(0)).toBe('version ..; max=1, order=desc');
  });

  it('follows Next-Range only on 206', () => {
    expect(nextRange(206, ']id-9..; max=1000')).toBe(']id-9..; max=1000');
    expect(nextRange(200, ']id-9..; max=1000')).toBeUndefined();
    expect(nextRange(206, undefined)).toBeUndefined();
    expect(nextRange(206, '  ')).toBeUndefined();
  });
});

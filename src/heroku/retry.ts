// When and how long to wait before trying a Heroku request again: exponential backoff with full
// jitter, `Retry-After` honoured, and no blind retry of a POST whose outcome is unknown.
import { setTimeout as delay } from 'node:timers/promises';
import { type HerokuApiError, HerokuNetworkError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (so `limit: 5` means at most 6 tries). */
  limit?: number;
  /** Backoff ceiling for the first retry; doubles each retry. */
  baseDelayMs?: number;
  /** Cap on the computed backoff. */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` the client will sleep through. A longer one is not waited out: the
   * retryable error is thrown so the caller (a time-boxed tick) can come back later.
   */
  maxRetryAfterMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const defaultRetryPolicy: RetryPolicy = {
  limit: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return { ...defaultRetryPolicy, ...options };
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Sleeps `ms`, or rejects with the signal's reason as soon as it aborts. */
export const abortableSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
};

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^retry)]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Whether a failed attempt may be tried again, given whether the request is idempotent.
 * - 429: always; the rate limiter rejects before any work is done.
 * - 5xx: only idempotent requests. A 500/503 on a POST can follow a partial success (Heroku has
 *   no idempotency keys, docs/heroku-api.md#retries-and-idempotency), and a second add-on create would then fail with a
 *   misleading "name taken" 422 instead of an honest "outcome unknown".
 * - no answer: idempotent requests always; a POST only if it never left this machine
 *   (connection refused, DNS failure).
 * - other 4xx: never.
 */
export function isRetryable(error: HerokuApiError, idempotent: boolean): boolean {
  if (error instanceof HerokuNetworkError) return idempotent || !error.requestMayHaveBeenApplied;
  if (error.status === 429) return true;
  if (error.status >= 500) return idempotent;
  return false;
}

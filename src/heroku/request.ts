// Sends one logical Heroku API call: builds the headers (docs/heroku-api.md#headers), retries per retry.ts, maps
// error answers to HerokuApiError, logs one line per HTTP exchange (never headers or bodies)
// and remembers the last `RateLimit-Remaining`.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { HerokuApiError, HerokuNetworkError, defaultErrorId, parseErrorBody } from './errors.js';
import type { RateBudget } from './budget.js';
import { backoffDelay, isRetryable, parseRetryAfter, type RetryPolicy, type Sleep } from './retry.js';
import type { HttpAnswer, Transport } from './transport.js';

export const ACCEPT = 'application/vnd.heroku+json; version=3';

export type ApiHost = 'platform' | 'data';

export interface ApiCall {
  host: ApiHost;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with every segment already encoded. */
  path: string;
  /** JSON-serialised as the request body. */
  body?: unknown;
  /** Extra headers (Range, X-Heroku-Legacy-Provider-Messages). */
  headers?: Record<string, string>;
  /** Whether a retry after a lost answer is safe; defaults to `method !== 'POST'` (a PATCH sets values: repeating it is harmless). */
  idempotent?: boolean;
  /** The answer holds secrets (config vars): Heroku's error text is withheld from errors too. */
  sensitive?: boolean;
  signal?: AbortSignal;
}

export interface ResponseInfo {
  host: ApiHost;
  method: string;
  path: string;
  status: number;
  requestId?: string;
  rateLimitRemaining?: number;
}

export interface RequesterOptions {
  token: string;
  apiUrl: string;
  dataApiUrl: string;
  userAgent: string;
  timeoutMs: number;
  retry: RetryPolicy;
  transport: Transport;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  logger?: Logger;
  onResponse?: (info: ResponseInfo) => void;
  /** Shared by every client of this token in the process. */
  budget: RateBudget;
}

export class Requester {
  #lastRateLimitRemaining: number | undefined;

  constructor(private readonly options: RequesterOptions) {}

  /** Last `RateLimit-Remaining` seen from the Platform API; undefined before the first answer. */
  get rateLimitRemaining(): number | undefined {
    return this.#lastRateLimitRemaining;
  }

  /** Resolves with a 2xx answer; throws HerokuApiError (after retries), or the signal's reason on abort. */
  async send(call: ApiCall): Promise<HttpAnswer> {
    const { retry } = this.options;
    const idempotent = call.idempotent ?? call.method !== 'POST';
    // Another run of this process hit the rate limit: wait for its Retry-After too.
    const held = this.options.budget.heldFor(this.options.now());
    if (held > 0) await this.options.sleep(held, call.signal);
    for (let attempt = 0; ; attempt += 1) {
      call.signal?.throwIfAborted();
      const outcome = await this.exchange(call);
      if (outcome.ok) return outcome.answer;

      const { error, retryAfterMs } = outcome;
      if (attempt >= retry.limit || !isRetryable(error, idempotent)) throw error;
      // A Retry-After longer than we are willing to sleep: give up now, the caller comes back later.
      if (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs) throw error;
      const delayMs = retryAfterMs ?? backoffDelay(attempt, retry, this.options.random);
      if (error.status === 429) this.options.budget.holdUntil(this.options.now() + delayMs);
      this.options.logger?.warn('heroku retry', {
        method: call.method,
        path: call.path,
        status: error.status,
        id: error.id,
        retry: attempt + 1,
        delayMs,
      });
      await this.options.sleep(delayMs, call.signal);
    }
  }

  /** One HTTP exchange: the 2xx answer, or the error it amounts to (network errors included). */
  private async exchange(call: ApiCall): Promise<Outcome> {
    const base = call.host === 'data' ? this.options.dataApiUrl : this.options.apiUrl;
    // A fresh id per exchange, never an accumulated list (docs/heroku-api.md#headers).
    const requestId = randomUUID();
    const headers: Record<string, string> = {
      Accept: ACCEPT,
      Authorization: `Bearer ${this.options.token}`,
      'User-Agent': this.options.userAgent,
      'Request-Id': requestId,
      ...call.headers,
    };
    const hasBody = call.body !== undefined;
    if (hasBody) headers['Content-Type'] = 'application/json';

    let answer: HttpAnswer;
    try {
      answer = await this.options.transport({
        method: call.method,
        url: joinUrl(base, call.path),
        headers,
        body: hasBody ? JSON.stringify(call.body) : undefined,
        timeoutMs: this.options.timeoutMs,
        signal: call.signal,
        path: call.path,
      });
    } catch (error) {
      if (!(error instanceof HerokuNetworkError)) throw error;
      this.report(call, { status: 0, requestId });
      return { ok: false, error };
    }

    const rateLimitRemaining = parseCount(answer.headers['ratelimit-remaining']);
    if (call.host === 'platform' && rateLimitRemaining !== undefined) {
      this.#lastRateLimitRemaining = rateLimitRemaining;
      this.options.budget.observe(rateLimitRemaining);
    }
    this.report(call, { status: answer.status, requestId: answer.headers['request-id'] ?? requestId, rateLimitRemaining });

    if (answer.status >= 200 && answer.status < 300) return { ok: true, answer };
    return {
      ok: false,
      error: this.toError(call, answer),
      retryAfterMs: parseRetryAfter(answer.headers['retry-after'], this.options.now()),
    };
  }

  private toError(call: ApiCall, answer: HttpAnswer): HerokuApiError {
    const body = parseErrorBody(answer.body);
    const message = call.sensitive
      ? 'message withheld (endpoint returns secrets)'
      : (body.message ?? `HTTP ${answer.status} without a Heroku error body`);
    return new HerokuApiError(answer.status, body.id ?? defaultErrorId(answer.status), message, call.method, call.path, body.resource);
  }

  private report(call: ApiCall, result: { status: number; requestId?: string; rateLimitRemaining?: number }): void {
    const info: ResponseInfo = { host: call.host, method: call.method, path: call.path, ...result };
    this.options.logger?.debug('heroku request', { ...info });
    this.options.onResponse?.(info);
  }
}

type Outcome = { ok: true; answer: HttpAnswer } | { ok: false; error: HerokuApiError; retryAfterMs?: number };

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

// One HTTP exchange with got, nothing more: no retries, no redirects, HTTP errors returned as
// answers. A failure without an answer becomes a HerokuNetworkError that says whether the
// request may have reached Heroku; an abort rethrows the signal's reason.
import type * as Got from 'got';
import { HerokuNetworkError } from './errors.js';

export interface HttpExchange {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** What errors name: the path without host or query. */
  path: string;
}

export interface HttpAnswer {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
}

export type Transport = (exchange: HttpExchange) => Promise<HttpAnswer>;

/** Connection never established, so the request cannot have been applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** got timeout phases that end before a byte of the request is written. */
const NOT_SENT_TIMEOUT_EVENTS = new Set(['lookup', 'connect', 'secureConnect']);

// Loaded at the first request, not with the CLI: a command that never calls Heroku (status,
// history, report, a tick with nothing due) starts a tenth of a second sooner without it.
let loading: Promise<typeof Got> | undefined;
const loadGot = () => (loading ??= import('got'));

export const gotTransport: Transport = async (exchange) => {
  const { default: got, RequestError, TimeoutError } = await loadGot();
  try {
    const response = await got(exchange.url, {
      method: exchange.method,
      headers: exchange.headers,
      body: exchange.body,
      responseType: 'text',
      throwHttpErrors: false,
      // Retries live in request.ts: got's retry cannot tell "POST lost its connection" from
      // "POST answered 429", cannot use an injected sleep, and does not stop its backoff on abort.
      retry: { limit: 0 },
      // A redirect would carry the Bearer token to wherever Location points.
      followRedirect: false,
      timeout: { connect: Math.min(exchange.timeoutMs, 10_000), request: exchange.timeoutMs },
      signal: exchange.signal,
    });
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
  } catch (error) {
    if (exchange.signal?.aborted) throw exchange.signal.reason;
    if (error instanceof TimeoutError) {
      const sent = !NOT_SENT_TIMEOUT_EVENTS.has(error.event);
      throw new HerokuNetworkError('timeout', exchange.method, exchange.path, error.code, sent);
    }
    if (error instanceof RequestError) {
      const sent = !NOT_SENT_CODES.has(error.code);
      // Only the code travels on: got's error holds the request options, Authorization included.
      throw new HerokuNetworkError('network_error', exchange.method, exchange.path, error.code, sent);
    }
    throw error;
  }
};

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

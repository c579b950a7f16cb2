// Errors thrown by the Heroku client. Every message passes through redact(): it names the call
// (method, path) and Heroku's error id, never the token, a header, or a database URL.
import { redact } from '../log/redact.js';

/** An error answer from Heroku: status, Heroku's error `id`, its message; never the token. */
export class HerokuApiError extends Error {
  override readonly name: string = 'HerokuApiError';
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly resource?: string,
  ) {
    super(redact(`Heroku ${method} ${path} answered ${status} ${id}: ${message}`));
  }

  /** 5xx, 429 and network failures/timeouts (status 0) may succeed when tried again; the rest will not. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** No HTTP answer at all: the connection failed, was reset, or the per-request timeout hit. */
export type NetworkFailureId = 'network_error' | 'timeout';

/**
 * A request that got no answer (status 0). `requestMayHaveBeenApplied` is true when the request
 * may have reached Heroku (anything but a refused connection or a failed DNS look-up): for a
 * POST that means "outcome unknown, look the resource up by name before trying again".
 */
export class HerokuNetworkError extends HerokuApiError {
  override readonly name: string = 'HerokuNetworkError';
  declare readonly id: NetworkFailureId;
  constructor(
    id: NetworkFailureId,
    method: string,
    path: string,
    /** Node/got error code, e.g. `ECONNRESET`, `ETIMEDOUT`. */
    readonly code: string | undefined,
    readonly requestMayHaveBeenApplied: boolean,
  ) {
    super(0, id, code ?? 'no answer', method, path);
    const what = id === 'timeout' ? 'timed out' : `failed (${code ?? 'network error'})`;
    this.message = redact(`Heroku ${method} ${path} ${what} without an answer`);
  }
}

/** The JSON error body Heroku sends: `{id, message, url?, resource?}`. Fields are optional in practice. */
export interface HerokuErrorBody {
  id?: string;
  message?: string;
  resource?: string;
}

/** Reads `{id, message, resource}` from an error body; `{}` when it is not JSON (a proxy's HTML page). */
export function parseErrorBody(text: string): HerokuErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const record = parsed as Record<string, unknown>;
  const pick = (key: string): string | undefined => (typeof record[key] === 'string' ? record[key] : undefined);
  return { id: pick('id'), message: pick('message'), resource: pick('resource') };
}

/** Fallback ids when the body names none, so callers can still switch on `id`. */
export function defaultErrorId(status: number): string {
  const known: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthorized',
    402: 'delinquent',
    403: 'forbidden',
    404: 'not_found',
    406: 'not_acceptable',
    409: 'conflict',
    410: 'gone',
    416: 'requested_range_not_satisfiable',
    422: 'invalid_params',
    423: 'confirmation_required',
    429: 'rate_limit',
    503: 'service_unavailable',
  };
  return known[status] ?? (status >= 500 ? 'internal_server_error' : 'http_error');
}

// Heroku's error answer (docs/heroku-api.md#errors): status plus `{id, message, resource?}`.
export type NotFoundResource = 'app' | 'add_on' | 'add_on attachment' | 'release';

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly resource?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, string> {
    if (this.message === '') return { id: this.id };
    return this.resource === undefined
      ? { id: this.id, message: this.message }
      : { id: this.id, message: this.message, resource: this.resource };
  }
}

const notFoundMessages: Record<NotFoundResource, string> = {
  app: "Couldn't find that app.",
  add_on: "Couldn't find that add on.",
  'add_on attachment': "Couldn't find that add on attachment.",
  release: "Couldn't find that release.",
};

export function notFound(resource: NotFoundResource): SimError {
  return new SimError(404, 'not_found', notFoundMessages[resource], resource);
}

/**
 * The data API's 404 for a database it does not know (yet): `{"id":"not_found"}`, no `message`.
 * Shogun has no published schema; the body follows its one real client. The CLI's `pg:wait`
 * and `pg:info` treat a 404 as "not provisioned yet" by reading `statusCode` off the HTTP error,
 * and @heroku-cli/command keeps that raw error only when the body has no `message` (otherwise it
 * wraps it in a HerokuAPIError without `statusCode`, and `pg:wait` would die on the first 404).
 */
export function dataApiNotFound(): SimError {
  return new SimError(404, 'not_found', '');
}

export function invalidParams(message: string): SimError {
  return new SimError(422, 'invalid_params', message);
}

export function confirmationRequired(message: string, what: string): SimError {
  return new SimError(423, 'confirmation_required', message, undefined, { 'X-Confirmation-Required': what });
}

/** Default error id for a status, for injected faults that name only a status. */
export function errorIdFor(status: number): string {
  const ids: Record<number, string> = {
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
    500: 'internal_server_error',
    503: 'service_unavailable',
  };
  return ids[status] ?? (status >= 500 ? 'internal_server_error' : 'bad_request');
}

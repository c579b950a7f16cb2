// The HTTP front: Accept and token checks, the rate limit, injected faults, then routing.
// Every response is `Content-Type: application/json` (no charset, docs/heroku-api.md#the-heroku-cli-against-the-simulator) and
// carries `RateLimit-Remaining` and `Request-Id`. The token is compared, never logged.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimCore } from './core.js';
import { errorIdFor, SimError } from './errors.js';
import { FixtureError } from './fixture.js';
import { errorReply, header, parseJson, readBody, reply, type Reply, type RequestContext } from './http.js';
import type { Router } from './router.js';
import type { SimRequest } from './types.js';

export interface Routers {
  platform: Router;
  data: Router;
  admin: Router;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const ACCEPT = /application\/vnd\.heroku\+json;\s*version=3(\.sdk)?\s*(,|$)/;

function isDataApi(path: string): boolean {
  return path.startsWith('/client/') || path.startsWith('/postgres/');
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Bearer <token>`, or `Basic base64(":" + token)` (docs/heroku-api.md#headers: the data API credentials call). */
function authorized(headerValue: string | undefined, token: string): boolean {
  if (!headerValue) return false;
  const [scheme = '', value = ''] = headerValue.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return sameSecret(value, token);
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return sameSecret(password, token);
  }
  return false;
}

const ENDPOINT_NOT_FOUND = new SimError(
  404,
  'not_found',
  'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?',
);

export async function startServer(core: SimCore, routers: Routers, port = 0): Promise<RunningServer> {
  const held = new Set<ServerResponse>();

  const write = (response: ServerResponse, answer: Reply) => {
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      ...answer.headers,
      'Content-Type': 'application/json',
      'RateLimit-Remaining': String(core.rateLimiter.remaining()),
      'Request-Id': randomUUID(),
      'Content-Length': String(Buffer.byteLength(body)),
    });
    response.end(body);
  };

  const route = async (router: Router, context: RequestContext): Promise<Reply> => {
    const matched = router.match(context.method, context.path);
    if (!matched) throw ENDPOINT_NOT_FOUND;
    return matched.handler({ ...context, params: matched.params });
  };

  const api = async (context: RequestContext): Promise<Reply> => {
    const data = isDataApi(context.path);
    // The data API is reached with the same client and headers (docs/heroku-api.md#hosts); only the Platform API insists on Accept.
    if (!data && !ACCEPT.test(header(context.headers, 'accept') ?? '')) {
      throw new SimError(406, 'not_acceptable', 'Accept header must be application/vnd.heroku+json; version=3.');
    }
    if (!authorized(header(context.headers, 'authorization'), core.options.token)) {
      throw new SimError(401, 'unauthorized', 'Invalid credentials provided.');
    }
    // Free of charge (docs/heroku-api.md#rate-limits).
    if (context.method === 'GET' && context.path === '/account/rate-limits') return reply(200, { remaining: core.rateLimiter.remaining() });
    if (!core.rateLimiter.take()) {
      throw new SimError(
        429,
        'rate_limit',
        'Your account reached the API rate limit\nPlease wait a few minutes before making new requests',
      );
    }
    return route(data ? routers.data : routers.platform, context);
  };

  const answer = async (work: () => Promise<Reply>): Promise<Reply> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SimError) return errorReply(error);
      if (error instanceof FixtureError) return errorReply(new SimError(422, 'invalid_params', error.message));
      return errorReply(
        new SimError(500, 'internal_server_error', `Internal server error: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const context: RequestContext = {
      method: (request.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      params: {},
      query: url.searchParams,
      headers: request.headers,
      body: undefined,
      remoteAddress: request.socket.remoteAddress,
    };
    let text: string;
    try {
      text = await readBody(request);
    } catch (error) {
      write(response, errorReply(error instanceof SimError ? error : new SimError(400, 'bad_request', 'Unreadable request body.')));
      return;
    }

    if (context.path.startsWith('/__sim/')) {
      const result = await answer(async () => {
        if (!isLoopback(context.remoteAddress)) throw new SimError(403, 'forbidden', 'The simulator admin API answers on loopback only.');
        return route(routers.admin, { ...context, body: parseJson(text) });
      });
      write(response, result);
      return;
    }

    const entry: SimRequest = { method: context.method, path: context.path, status: 0 };
    core.requests.push(entry);
    const fault = core.faults.take(context.method, context.path);
    if (fault === 'drop') {
      entry.fault = 'drop';
      request.socket.destroy();
      return;
    }
    if (fault === 'timeout') {
      // Held until the client gives up (or the simulator closes); nothing is applied.
      entry.fault = 'timeout';
      held.add(response);
      response.on('close', () => held.delete(response));
      return;
    }
    if (typeof fault === 'object') {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      const body = { id: fault.id ?? errorIdFor(fault.status), message: fault.message ?? `Injected fault: ${fault.status}.` };
      entry.fault = `status ${fault.status}`;
      entry.status = fault.status;
      write(response, reply(fault.status, body, headers));
      return;
    }
    const result = await answer(async () => {
      const body = parseJson(text);
      if (core.options.recordBodies === true && body !== undefined) entry.body = body;
      return api({ ...context, body });
    });
    if (fault === 'applyThenDrop') {
      // Applied but never acknowledged: the client sees a reset connection.
      entry.fault = 'applyThenDrop';
      request.socket.destroy();
      return;
    }
    entry.status = result.status;
    write(response, result);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) write(response, errorReply(new SimError(500, 'internal_server_error', 'Internal server error.')));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const response of held) response.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

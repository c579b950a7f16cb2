// HerokuApi over HTTP: the Platform API and the Heroku Data API with one token, in the
// schema-valid request forms (docs/heroku-api.md#request-forms). Transport, retries, ranges and errors
// live in their own modules; this file maps each method to its endpoint.
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/redact.js';
import { rateBudgetFor, type RateBudget } from './budget.js';
import { HerokuApiError } from './errors.js';
import { MAX_PAGES, firstPageRange, newestReleasesRange, nextRange } from './ranges.js';
import { type ApiCall, Requester, type ResponseInfo } from './request.js';
import { type RetryOptions, abortableSleep, retryPolicy, type Sleep } from './retry.js';
import { gotTransport, type HttpAnswer, type Transport } from './transport.js';
import type {
  Account,
  Addon,
  App,
  Attachment,
  Collaborator,
  CreateAddonRequest,
  CreateAttachmentRequest,
  DatabaseInfo,
  Formation,
  HerokuApi,
  Release,
  RequestOptions,
  TeamApp,
  TeamMember,
  WaitStatus,
} from './types.js';
import { reforkVersion } from '../version.js';

export interface HerokuClientOptions {
  token: string;
  /** Default `https://api.heroku.com`; callers read `HEROKU_API_URL`, not this module. */
  apiUrl?: string;
  /** Default `https://api.data.heroku.com`. */
  dataApiUrl?: string;
  /** Default `refork/<version>`. */
  userAgent?: string;
  /** Default: 5 retries (6 tries), full-jitter backoff from 500 ms capped at 30 s, Retry-After up to 120 s. */
  retry?: RetryOptions;
  /** Per HTTP exchange; default 30 s. */
  timeoutMs?: number;
  /** Gets one debug line per exchange (method, path, status, Request-Id, RateLimit-Remaining) and a warn per retry. */
  logger?: Logger;
  /** Injectable for tests; must reject with `signal.reason` when the signal aborts. */
  sleep?: Sleep;
  /** Injectable jitter source in [0, 1); default Math.random. */
  random?: () => number;
  onResponse?: (info: ResponseInfo) => void;
  /** Test seam: one HTTP exchange; default got. */
  transport?: Transport;
  /** Default: the process's budget for this token, shared with every other client of it. */
  budget?: RateBudget;
}

export interface HerokuClient extends HerokuApi {
  /** Last `RateLimit-Remaining` this client saw from the Platform API. */
  readonly rateLimitRemaining: number | undefined;
  /** The rate budget this client draws on: waits that are not urgent are stretched by it. */
  readonly budget: RateBudget;
}

export const DEFAULT_API_URL = 'https://api.heroku.com';
export const DEFAULT_DATA_API_URL = 'https://api.data.heroku.com';
const DEFAULT_TIMEOUT_MS = 30_000;

export function createHerokuClient(options: HerokuClientOptions): HerokuClient {
  return new HttpHerokuClient(options);
}

/** The attachment that makes a database the app's `DATABASE_URL`. */
const PRIMARY_ATTACHMENT = 'DATABASE';

class HttpHerokuClient implements HerokuClient {
  readonly #requester: Requester;
  readonly budget: RateBudget;

  constructor(options: HerokuClientOptions) {
    if (!options.token) throw new Error('Heroku API token is empty');
    // Masks the token in every log line and error refork writes, not only this client's.
    registerSecret(options.token);
    this.budget = options.budget ?? rateBudgetFor(options.token);
    this.#requester = new Requester({
      budget: this.budget,
      token: options.token,
      apiUrl: options.apiUrl ?? DEFAULT_API_URL,
      dataApiUrl: options.dataApiUrl ?? DEFAULT_DATA_API_URL,
      userAgent: options.userAgent ?? `refork/${reforkVersion}`,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: retryPolicy(options.retry),
      transport: options.transport ?? gotTransport,
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
      now: Date.now,
      logger: options.logger,
      onResponse: options.onResponse,
    });
  }

  get rateLimitRemaining(): number | undefined {
    return this.#requester.rateLimitRemaining;
  }

  // --- add-ons -------------------------------------------------------------------------------

  getAddon(app: string, nameOrId: string, options?: RequestOptions): Promise<Addon | null> {
    return this.#getOrNull<Addon>(platform('GET', `/apps/${seg(app)}/addons/${seg(nameOrId)}`, options), 'object');
  }

  findAddon(nameOrId: string, options?: RequestOptions): Promise<Addon | null> {
    return this.#getOrNull<Addon>(platform('GET', `/addons/${seg(nameOrId)}`, options), 'object');
  }

  listAddons(app: string, options?: RequestOptions): Promise<Addon[]> {
    return this.#listAll<Addon>(platform('GET', `/apps/${seg(app)}/addons`, options));
  }

  async createAddon(app: string, request: CreateAddonRequest, options?: RequestOptions): Promise<Addon> {
    // Invariant 3 (docs/design.md#invariants): a fork must never go live before anonymization, and a fork
    // created as DATABASE (with the confirm a 423 invites) would be live at once.
    if (request.attachmentName.toUpperCase() === PRIMARY_ATTACHMENT) {
      throw new Error(`refusing to create add-on ${request.name} attached as ${PRIMARY_ATTACHMENT}`);
    }
    const send = (confirm: string | undefined) =>
      this.#json<Addon>(
        platform('POST', `/apps/${seg(app)}/addons`, options, {
          body: addonCreateBody(request, confirm),
          headers: { 'X-Heroku-Legacy-Provider-Messages': 'true' },
        }),
        'object',
      );
    return withConfirmation(request.confirm, app, send);
  }

  destroyAddon(app: string, addonId: string, options?: RequestOptions): Promise<Addon | null> {
    // No body: `{"force": false}` is the CLI's, outside the schema (docs/heroku-api.md#destroying). Retrying after a lost
    // answer is safe: a destroy that did happen answers 404 the second time, i.e. `null`.
    return this.#getOrNull<Addon>(platform('DELETE', `/apps/${seg(app)}/addons/${seg(addonId)}`, options), 'object');
  }

  // --- attachments ---------------------------------------------------------------------------

  listAttachments(app: string, options?: RequestOptions): Promise<Attachment[]> {
    return this.#listAll<Attachment>(platform('GET', `/apps/${seg(app)}/addon-attachments`, options));
  }

  getAttachment(app: string, name: string, options?: RequestOptions): Promise<Attachment | null> {
    return this.#getOrNull<Attachment>(platform('GET', `/apps/${seg(app)}/addon-attachments/${seg(name)}`, options), 'object');
  }

  async createAttachment(request: CreateAttachmentRequest, options?: RequestOptions): Promise<Attachment> {
    const send = (confirm: string | undefined) =>
      this.#json<Attachment>(platform('POST', '/addon-attachments', options, { body: attachmentCreateBody(request, confirm) }), 'object');
    // Moving DATABASE is the promotion itself: the caller decides to confirm it, never a 423 retry.
    if (request.name?.toUpperCase() === PRIMARY_ATTACHMENT) return send(request.confirm);
    return withConfirmation(request.confirm, request.app, send);
  }

  deleteAttachment(attachmentId: string, options?: RequestOptions): Promise<Attachment | null> {
    return this.#getOrNull<Attachment>(platform('DELETE', `/addon-attachments/${seg(attachmentId)}`, options), 'object');
  }

  listAddonAttachments(addonId: string, options?: RequestOptions): Promise<Attachment[]> {
    return this.#listAll<Attachment>(platform('GET', `/addons/${seg(addonId)}/addon-attachments`, options));
  }

  // --- access: accounts, apps, collaborators, teams ------------------------------------------

  getAccount(options?: RequestOptions): Promise<Account> {
    return this.#json<Account>(platform('GET', '/account', options), 'object');
  }

  async getApp(app: string, options?: RequestOptions): Promise<App | null> {
    try {
      return await this.#json<App>(platform('GET', `/apps/${seg(app)}`, options), 'object');
    } catch (error) {
      if (error instanceof HerokuApiError && error.status === 404) return null;
      throw error;
    }
  }

  setMaintenance(app: string, on: boolean, options?: RequestOptions): Promise<App> {
    return this.#json<App>(platform('PATCH', `/apps/${seg(app)}`, options, { body: { maintenance: on } }), 'object');
  }

  listCollaborators(app: string, options?: RequestOptions): Promise<Collaborator[]> {
    // The schema declares no ranges for this list: one answer holds it all.
    return this.#json<Collaborator[]>(platform('GET', `/apps/${seg(app)}/collaborators`, options), 'array');
  }

  listTeamMembers(team: string, options?: RequestOptions): Promise<TeamMember[]> {
    return this.#listAll<TeamMember>(platform('GET', `/teams/${seg(team)}/members`, options), 'email');
  }

  getTeamApp(app: string, options?: RequestOptions): Promise<TeamApp> {
    return this.#json<TeamApp>(platform('GET', `/teams/apps/${seg(app)}`, options), 'object');
  }

  // --- config, formation, releases -----------------------------------------------------------

  getConfigVars(app: string, options?: RequestOptions): Promise<Record<string, string | null>> {
    return this.#json<Record<string, string | null>>(
      platform('GET', `/apps/${seg(app)}/config-vars`, options, { sensitive: true }),
      'object',
    );
  }

  listFormation(app: string, options?: RequestOptions): Promise<Formation[]> {
    return this.#listAll<Formation>(platform('GET', `/apps/${seg(app)}/formation`, options));
  }

  async listReleases(app: string, max: number, options?: RequestOptions): Promise<Release[]> {
    // One page only: the newest `max` are wanted, not the app's whole history.
    const call = platform('GET', `/apps/${seg(app)}/releases`, options, { headers: { Range: newestReleasesRange(max) } });
    const releases = parseJson<Release[]>(call, await this.#requester.send(call), 'array');
    return releases.slice(0, Math.max(0, max));
  }

  getRelease(app: string, idOrVersion: string, options?: RequestOptions): Promise<Release> {
    return this.#json<Release>(platform('GET', `/apps/${seg(app)}/releases/${seg(idOrVersion)}`, options), 'object');
  }

  // --- data API ------------------------------------------------------------------------------

  waitStatus(addonId: string, options?: RequestOptions): Promise<WaitStatus | null> {
    return this.#getOrNull<WaitStatus>(data(`/client/v11/databases/${seg(addonId)}/wait_status`, options), 'object');
  }

  databaseInfo(addonId: string, options?: RequestOptions): Promise<DatabaseInfo | null> {
    return this.#getOrNull<DatabaseInfo>(data(`/client/v11/databases/${seg(addonId)}`, options), 'object');
  }

  // --- plumbing ------------------------------------------------------------------------------

  async #json<T>(call: ApiCall, shape: JsonShape): Promise<T> {
    return parseJson<T>(call, await this.#requester.send(call), shape);
  }

  /** `null` when the requested resource is absent; an unknown *app* still throws. */
  async #getOrNull<T>(call: ApiCall, shape: JsonShape): Promise<T | null> {
    try {
      return await this.#json<T>(call, shape);
    } catch (error) {
      if (isMissingResource(error)) return null;
      throw error;
    }
  }

  /** Every page of a list: `Range: <field> ..; max=1000` (`id` unless the schema ranges it otherwise), then each 206's `Next-Range`. */
  async #listAll<T>(call: ApiCall, rangeField = 'id'): Promise<T[]> {
    const items: T[] = [];
    let range: string | undefined = firstPageRange(rangeField);
    for (let page = 0; range !== undefined; page += 1) {
      if (page >= MAX_PAGES) {
        throw new HerokuApiError(206, 'too_many_pages', `more than ${MAX_PAGES} pages`, call.method, call.path);
      }
      const pageCall: ApiCall = { ...call, headers: { ...call.headers, Range: range } };
      const answer = await this.#requester.send(pageCall);
      items.push(...parseJson<T[]>(pageCall, answer, 'array'));
      range = nextRange(answer.status, answer.headers['next-range']);
    }
    return items;
  }
}

type JsonShape = 'object' | 'array';

/**
 * A 404 about the thing asked for. Heroku names the missing resource in `resource`
 * (`add_on`, `add_on attachment`, …); `app` means the app itself is unknown, which is a
 * configuration error, not an absent add-on.
 */
function isMissingResource(error: unknown): boolean {
  return error instanceof HerokuApiError && error.status === 404 && error.resource !== 'app';
}

/** On 423 `confirmation_required`, send once more with `confirm: <app>`, as the CLI does. */
async function withConfirmation<T>(
  confirm: string | undefined,
  app: string,
  send: (confirm: string | undefined) => Promise<T>,
): Promise<T> {
  try {
    return await send(confirm);
  } catch (error) {
    const asked = error instanceof HerokuApiError && error.status === 423 && error.id === 'confirmation_required';
    if (!asked || confirm !== undefined) throw error;
    return send(app);
  }
}

function addonCreateBody(request: CreateAddonRequest, confirm: string | undefined): Record<string, unknown> {
  // `config` nested, never top level: a top-level `fork` provisions an empty database
  // (docs/heroku-api.md#creating-the-fork).
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.config)) config[key] = String(value);
  return {
    plan: request.plan,
    name: request.name,
    attachment: { name: request.attachmentName },
    config,
    ...(confirm === undefined ? {} : { confirm }),
  };
}

function attachmentCreateBody(request: CreateAttachmentRequest, confirm: string | undefined): Record<string, unknown> {
  // Identities as plain strings (schema), not the CLI's `{name: …}` objects.
  return {
    addon: request.addon,
    app: request.app,
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
    ...(confirm === undefined ? {} : { confirm }),
  };
}

function platform(
  method: ApiCall['method'],
  path: string,
  options: RequestOptions | undefined,
  extra: Pick<ApiCall, 'body' | 'headers' | 'sensitive'> = {},
): ApiCall {
  return { host: 'platform', method, path, signal: options?.signal, ...extra };
}

function data(path: string, options: RequestOptions | undefined): ApiCall {
  return { host: 'data', method: 'GET', path, signal: options?.signal };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The answer's JSON, checked only for its outer shape; a body that is not JSON is an error without its text. */
function parseJson<T>(call: ApiCall, answer: HttpAnswer, shape: JsonShape): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new HerokuApiError(answer.status, 'invalid_response', 'answer is not JSON', call.method, call.path);
  }
  const isArray = Array.isArray(parsed);
  const fits = shape === 'array' ? isArray : parsed !== null && typeof parsed === 'object' && !isArray;
  if (!fits) {
    throw new HerokuApiError(answer.status, 'invalid_response', `answer is not a JSON ${shape}`, call.method, call.path);
  }
  return parsed as T;
}

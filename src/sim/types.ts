// Public shapes of the simulator: what tests, `refork sim` and `refork demo` see. Internal
// records (state.ts) carry more (credentials, timers); these are copies safe to hand out.
import type { Permission, TeamRole } from './access.js';

export type SimAddonState = 'provisioning' | 'provisioned' | 'deprovisioning' | 'deprovisioned';

export interface SimRef {
  id: string;
  name: string;
}

export interface SimApp {
  id: string;
  name: string;
  releasePhase: boolean;
  createdAt: string;
  /** A personal app's owner; a team app's is `<team>@herokumanager.com`. */
  ownerEmail: string;
  team: string | null;
  locked: boolean;
  /** Maintenance mode, as `GET /apps/{app}` reports it. */
  maintenance: boolean;
  updatedAt: string;
}

/** Heroku's app permissions, and a member's role in a team. */
export type SimPermission = Permission;
export type SimTeamRole = TeamRole;

export interface CreateAppOptions {
  releasePhase?: boolean;
  /** Owner of a personal app (default: the token's own account, {@link Simulator.account}). */
  owner?: string;
  /** Makes it a team app of this team (the team is created on first use). */
  team?: string;
  /** Team apps: members may not join a locked app. */
  locked?: boolean;
  /** Starts in maintenance mode (a window of its owner's own). */
  maintenance?: boolean;
}

export interface SimAddon {
  id: string;
  name: string;
  /** The billing (owner) app. */
  app: SimRef;
  plan: string;
  state: SimAddonState;
  /** Name of the real database on the PostgreSQL server (exists once provisioned). */
  databaseName: string;
  /** Name of the add-on this one was forked from, if any. */
  forkedFrom: string | null;
  follower: boolean;
  /** True once the data API reports `available` (the add-on's role may log in). */
  available: boolean;
  createdAt: string;
}

export interface SimAttachment {
  id: string;
  name: string;
  namespace: string | null;
  addon: SimRef & { app: SimRef };
  app: SimRef;
  createdAt: string;
}

export type SimEventType =
  | 'app.created'
  | 'app.updated'
  | 'addon.created'
  | 'addon.provisioned'
  | 'addon.available'
  | 'addon.failed'
  | 'addon.destroy_requested'
  | 'addon.destroyed'
  | 'attachment.created'
  | 'attachment.deleted'
  | 'config.changed'
  | 'release.created'
  | 'release.updated'
  | 'hook.failed';

export interface SimEvent {
  /** Monotonic, starts at 1. */
  seq: number;
  /** ISO timestamp. */
  at: string;
  type: SimEventType;
  app?: SimRef;
  addon?: SimRef;
  attachment?: { id: string; name: string; namespace: string | null };
  /** Type-specific facts; never secrets (config.changed lists keys, not values). */
  detail?: Record<string, unknown>;
}

export interface SimRequest {
  method: string;
  path: string;
  /** 0 when no response was written (fault 'drop', 'timeout', 'applyThenDrop'). */
  status: number;
  fault?: string;
  /** The parsed JSON body, only with `recordBodies` (bodies may carry a fork source URL). */
  body?: unknown;
}

export type FaultKind =
  { status: number; id?: string; message?: string; retryAfterSeconds?: number } | 'timeout' | 'drop' | 'applyThenDrop';

export interface FaultRule {
  method?: string;
  /** A string matches the request path exactly; a RegExp is tested against it. */
  path: string | RegExp;
  /** How many matching requests are hit (default 1). */
  times?: number;
  kind: FaultKind;
}

export interface AttachEvent {
  app: string;
  name: string;
  addon: SimAddon;
  /** The add-on's own credential URL (what the config var is set to). */
  databaseUrl: string;
  /** Superuser URL of the same database, for inspection regardless of the add-on's login state. */
  adminUrl: string;
}

export interface SimulatorOptions {
  /** Superuser URL of a PostgreSQL server; every add-on is a real database there. */
  postgresUrl: string;
  /** 0/undefined = random free port on 127.0.0.1. */
  port?: number;
  /** The only accepted API token (Bearer <token>, also Basic base64(':'+token)). */
  token: string;
  /** Add-on provisioning -> provisioned. */
  provisionDelayMs?: number;
  /** The data API answers 404 for this long after create. */
  dataApi404Ms?: number;
  /** Then wait_status says `waiting?: true` ('preparing') this long before 'available'. */
  waitingMs?: number;
  /** DELETE -> deprovisioning -> gone (GET 404, database dropped). */
  deprovisionDelayMs?: number;
  /** Release phase: a release stays `pending` this long (apps with releasePhase only). */
  releaseDelayMs?: number;
  rateLimit?: { capacity: number; refillPerMinute: number } | false;
  /** Keep each API request's JSON body in `requests` (off by default: a body may hold a database URL). */
  recordBodies?: boolean;
  /**
   * Awaited before an attachment's config var goes live, for invariant checks: on POST
   * /addon-attachments (before the attachment is committed) and when a created add-on
   * finishes provisioning. Seeding (addDatabase, attach) does not call it.
   */
  onAttach?: (event: AttachEvent) => Promise<void> | void;
}

export interface AddDatabaseOptions {
  plan?: string;
  as?: string;
  name?: string;
  /** Seed from an existing database on the server (CREATE DATABASE ... TEMPLATE). */
  fromDatabase?: string;
  follower?: boolean;
  /** SQL run in the new database (as superuser) before it is handed to the add-on's role. */
  seedSql?: string;
}

export interface Simulator {
  /** Base URL; serves Platform API, data API (/client/v11, /postgres/v0) and /__sim admin paths. */
  url: string;
  /** The email of the account the API token belongs to (what `GET /account` answers). */
  account: string;
  createApp(name: string, opts?: CreateAppOptions): SimApp;
  /** The app as it is now (maintenance mode included). */
  app(name: string): SimApp;
  /** Grants an account access to an app; `permissions` apply to team apps (personal collaborators get all but paid add-ons). */
  addCollaborator(app: string, email: string, permissions?: SimPermission[]): void;
  /** Adds (or re-roles) a member of a team, creating the team on first use. */
  addTeamMember(team: string, email: string, role: SimTeamRole): void;
  addDatabase(app: string, opts?: AddDatabaseOptions): Promise<SimAddon>;
  attach(addonNameOrId: string, app: string, name: string, namespace?: string | null): SimAttachment;
  /** Live (not deprovisioned/destroyed) add-ons, of one app or all. */
  addons(app?: string): SimAddon[];
  attachments(app: string): SimAttachment[];
  configVars(app: string): Record<string, string>;
  databaseUrl(addonNameOrId: string): string;
  events: SimEvent[];
  requests: SimRequest[];
  faults: { add(rule: FaultRule): void; clear(): void };
  /**
   * Moves a created add-on's data-API view one phase on, whatever the timing options say: 404 ->
   * `preparing`, then `preparing` -> `available` (after provisioning). For tests that must see
   * a client go through each phase without racing the clock.
   */
  advanceDatabase(addonNameOrId: string): Promise<'preparing' | 'available'>;
  failNextFork(opts?: { message?: string }): void;
  /** The next release created on an app with a release phase ends `failed`. */
  failNextRelease(): void;
  close(): Promise<void>;
}

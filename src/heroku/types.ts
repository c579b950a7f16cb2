// What refork needs from Heroku, as one interface: the real client (got) implements it against
// api.heroku.com and api.data.heroku.com, or against the local simulator. Resource shapes come
// from Heroku's published schema (@heroku-cli/schema); request bodies use the schema-valid
// forms (docs/heroku-api.md#request-forms).
import type * as Heroku from '@heroku-cli/schema';

/** The schema's enum omits `deprovisioning`, which the live API reports while a destroy runs. */
export type AddonState = Heroku.AddOn['state'] | 'deprovisioning';
export type Addon = Omit<Heroku.AddOn, 'state'> & { state: AddonState };
export type Attachment = Heroku.AddOnAttachment;
export type Formation = Heroku.Formation;
export type Release = Heroku.Release;
/** The schema's `app` type lacks `team` (the live API and the schema's properties have it). */
export type App = Heroku.App & { team?: { id?: string; name?: string } | null };
export type Account = Heroku.Account;
export type Collaborator = Heroku.Collaborator;
export type TeamMember = Heroku.TeamMember;
export type TeamApp = Heroku.TeamApp;

/** `GET /client/v11/databases/{id}/wait_status` on the data API. */
export interface WaitStatus {
  'waiting?': boolean;
  'error?'?: boolean;
  message: string;
  step?: string;
}

/** `GET /client/v11/databases/{id}` on the data API (the fields refork reads). */
export interface DatabaseInfo {
  addon_id: string;
  name: string;
  plan?: string;
  'waiting?'?: boolean;
  following?: string | null;
  forked_from?: string | null;
  num_bytes?: number;
  info?: Array<{ name: string; values: string[] }>;
}

export interface CreateAddonRequest {
  /** Plan identity as a string, e.g. `heroku-postgresql:standard-0`. */
  plan: string;
  /** Globally unique add-on name chosen by refork (the crash-resume look-up key). */
  name: string;
  /** Attachment name on the app; never `DATABASE` (a fork must not go live before anonymization). */
  attachmentName: string;
  /** Add-on config; values are strings (`fork`, `fast: "true"`). Nested under `config` in the body. */
  config: Record<string, string>;
  /** App name, sent only when Heroku asked for confirmation (423). */
  confirm?: string;
}

export interface CreateAttachmentRequest {
  /** Add-on id or name. */
  addon: string;
  /** App id or name. */
  app: string;
  /** Attachment name; omitted lets Heroku choose `HEROKU_POSTGRESQL_<COLOR>`. */
  name?: string;
  namespace?: string | null;
  /** App name: authorises replacing an existing attachment of the same name. */
  confirm?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface HerokuApi {
  /** `GET /apps/{app}/addons/{nameOrId}`; `null` on 404. */
  getAddon(app: string, nameOrId: string, options?: RequestOptions): Promise<Addon | null>;
  /** `GET /addons/{nameOrId}` (add-on on any app the token can see); `null` on 404. */
  findAddon(nameOrId: string, options?: RequestOptions): Promise<Addon | null>;
  /** `GET /apps/{app}/addons`, every page (Range / Next-Range). */
  listAddons(app: string, options?: RequestOptions): Promise<Addon[]>;
  /**
   * `POST /apps/{app}/addons`. A `retryable` error means the outcome is unknown (Heroku may have
   * created it): look the add-on up by `name` before creating again. Throws before sending when
   * `attachmentName` is `DATABASE`.
   */
  createAddon(app: string, request: CreateAddonRequest, options?: RequestOptions): Promise<Addon>;
  /** `DELETE /apps/{app}/addons/{id}`; `null` when the add-on is already gone (404). */
  destroyAddon(app: string, addonId: string, options?: RequestOptions): Promise<Addon | null>;

  /** `GET /apps/{app}/addon-attachments`. */
  listAttachments(app: string, options?: RequestOptions): Promise<Attachment[]>;
  /** `GET /apps/{app}/addon-attachments/{name}`; `null` on 404. */
  getAttachment(app: string, name: string, options?: RequestOptions): Promise<Attachment | null>;
  /** `POST /addon-attachments`. A `retryable` error means the outcome is unknown: re-read the attachments first. */
  createAttachment(request: CreateAttachmentRequest, options?: RequestOptions): Promise<Attachment>;
  /** `DELETE /addon-attachments/{id}`; `null` when already gone. */
  deleteAttachment(attachmentId: string, options?: RequestOptions): Promise<Attachment | null>;

  /** `GET /addons/{id}/addon-attachments`: where an add-on is attached, on every app. */
  listAddonAttachments(addonId: string, options?: RequestOptions): Promise<Attachment[]>;

  // Who may do what (docs/fork-app.md): read-only, for preflight and `refork doctor`.
  /** `GET /account`: the token's own account. */
  getAccount(options?: RequestOptions): Promise<Account>;
  /** `GET /apps/{app}`; `null` when the app does not exist (or the token may not see it: 404). */
  getApp(app: string, options?: RequestOptions): Promise<App | null>;
  /**
   * `PATCH /apps/{app}` with `{"maintenance": on}`: sets the app's maintenance mode (a value,
   * not a toggle, so a repeat after a lost answer is harmless); answers the app as it now is.
   */
  setMaintenance(app: string, on: boolean, options?: RequestOptions): Promise<App>;
  /** `GET /apps/{app}/collaborators`: the owner and every collaborator; on a team app with roles and permissions. */
  listCollaborators(app: string, options?: RequestOptions): Promise<Collaborator[]>;
  /** `GET /teams/{team}/members`, every page. */
  listTeamMembers(team: string, options?: RequestOptions): Promise<TeamMember[]>;
  /** `GET /teams/apps/{app}`: a team app's `locked` flag (members may join an unlocked app). */
  getTeamApp(app: string, options?: RequestOptions): Promise<TeamApp>;

  /** `GET /apps/{app}/config-vars`: every secret of the app; never log the result. */
  getConfigVars(app: string, options?: RequestOptions): Promise<Record<string, string | null>>;

  /** `GET /apps/{app}/formation`. */
  listFormation(app: string, options?: RequestOptions): Promise<Formation[]>;
  /** `GET /apps/{app}/releases`, newest first, at most `max`. */
  listReleases(app: string, max: number, options?: RequestOptions): Promise<Release[]>;
  /** `GET /apps/{app}/releases/{idOrVersion}`. */
  getRelease(app: string, idOrVersion: string, options?: RequestOptions): Promise<Release>;

  /** Data API `GET /client/v11/databases/{addonId}/wait_status`; `null` on 404 (not known yet). */
  waitStatus(addonId: string, options?: RequestOptions): Promise<WaitStatus | null>;
  /** Data API `GET /client/v11/databases/{addonId}`; `null` on 404. */
  databaseInfo(addonId: string, options?: RequestOptions): Promise<DatabaseInfo | null>;
}

// The error classes live in errors.ts; re-exported here so callers import the whole contract from one place.
export { HerokuApiError, HerokuNetworkError, type NetworkFailureId } from './errors.js';

// The simulated platform's records (apps, add-ons, attachments, config vars, releases) and
// their look-ups. Rules about how they change live in attachments.ts, lifecycle.ts, releases.ts.
import { randomUUID } from 'node:crypto';
import type { Permission, TeamRole } from './access.js';
import type { DatabaseCredential } from './databases.js';
import { invalidParams, notFound } from './errors.js';
import type { SimAddon, SimAddonState, SimApp, SimAttachment, SimRef } from './types.js';

export interface AppRecord {
  id: string;
  name: string;
  releasePhase: boolean;
  createdAt: string;
  /** A personal app's owner; a team app's is `<team>@herokumanager.com`. */
  ownerEmail: string;
  team: string | null;
  /** Team apps only: a locked app cannot be joined by team members (`heroku apps:lock`). */
  locked: boolean;
  /** Maintenance mode (`heroku maintenance:on`): set by `PATCH /apps/{app}`, kept until set again. */
  maintenance: boolean;
  updatedAt: string;
}

export interface AppOwnership {
  /** Personal app of this account (default: the token's own). */
  owner?: string;
  /** Team app of this team (created on first use). */
  team?: string;
  locked?: boolean;
}

export interface CollaboratorRecord {
  id: string;
  appId: string;
  email: string;
  /** Team apps: the permissions granted on the app; personal apps have none to grant. */
  permissions: Permission[] | null;
  createdAt: string;
}

export interface TeamMemberRecord {
  id: string;
  email: string;
  role: TeamRole;
  createdAt: string;
}

export interface TeamRecord {
  id: string;
  name: string;
  members: TeamMemberRecord[];
  createdAt: string;
}

export interface AddonRecord {
  id: string;
  name: string;
  appId: string;
  plan: string;
  state: SimAddonState;
  createdAt: string;
  createdAtMs: number;
  /** Until then the data API answers 404 (docs/heroku-api.md#waiting); `advanceDatabase` may bring it forward. */
  dataApiKnownAtMs: number;
  updatedAt: string;
  providerId: string;
  forkedFromId: string | null;
  /** Leader add-on id for followers ('unknown' when seeded from a plain database). */
  following: string | null;
  available: boolean;
  failureMessage: string | null;
  provisionMessage: string | null;
  /** Planned at create; the database exists once `state` is provisioned. */
  databaseName: string | null;
  credential: DatabaseCredential | null;
  /** The provisioning job, awaited by destroy so a database is never dropped while being made. */
  provisioning: Promise<void> | null;
}

export interface AttachmentRecord {
  id: string;
  name: string;
  namespace: string | null;
  addonId: string;
  appId: string;
  createdAt: string;
  updatedAt: string;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface ReleaseRecord {
  id: string;
  appId: string;
  version: number;
  description: string;
  status: ReleaseStatus;
  createdAt: string;
  updatedAt: string;
}

const APP_NAME = /^[a-z][a-z0-9-]{1,29}$/;

export function now(): string {
  return new Date().toISOString();
}

export class SimState {
  readonly apps = new Map<string, AppRecord>();
  readonly addons = new Map<string, AddonRecord>();
  readonly attachments = new Map<string, AttachmentRecord>();
  readonly releases = new Map<string, ReleaseRecord[]>();
  readonly collaborators: CollaboratorRecord[] = [];
  readonly teams = new Map<string, TeamRecord>();
  private readonly config = new Map<string, Map<string, string>>();

  addApp(name: string, releasePhase: boolean, ownership: { ownerEmail: string; team: string | null; locked: boolean }): AppRecord {
    if (!APP_NAME.test(name))
      throw invalidParams(
        `Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.`,
      );
    if (this.findApp(name)) throw invalidParams('Name is already taken');
    const createdAt = now();
    const app: AppRecord = { id: randomUUID(), name, releasePhase, createdAt, updatedAt: createdAt, maintenance: false, ...ownership };
    this.apps.set(app.id, app);
    this.releases.set(app.id, []);
    this.config.set(app.id, new Map());
    return app;
  }

  findApp(idOrName: string): AppRecord | undefined {
    return this.apps.get(idOrName) ?? [...this.apps.values()].find((app) => app.name === idOrName);
  }

  app(idOrName: string): AppRecord {
    const app = this.findApp(idOrName);
    if (!app) throw notFound('app');
    return app;
  }

  findAddon(idOrName: string): AddonRecord | undefined {
    return this.addons.get(idOrName) ?? [...this.addons.values()].find((addon) => addon.name === idOrName);
  }

  addon(idOrName: string): AddonRecord {
    const addon = this.findAddon(idOrName);
    if (!addon) throw notFound('add_on');
    return addon;
  }

  /** `/apps/{app}/addons/{addon}` paths see only add-ons billed to that app. */
  addonOfApp(app: AppRecord, idOrName: string): AddonRecord {
    const addon = this.findAddon(idOrName);
    if (!addon || addon.appId !== app.id) throw notFound('add_on');
    return addon;
  }

  addonsOfApp(app: AppRecord): AddonRecord[] {
    return [...this.addons.values()].filter((addon) => addon.appId === app.id);
  }

  attachment(id: string): AttachmentRecord {
    const attachment = this.attachments.get(id);
    if (!attachment) throw notFound('add_on attachment');
    return attachment;
  }

  attachmentsOfApp(app: AppRecord): AttachmentRecord[] {
    return [...this.attachments.values()].filter((attachment) => attachment.appId === app.id);
  }

  attachmentsOfAddon(addon: AddonRecord): AttachmentRecord[] {
    return [...this.attachments.values()].filter((attachment) => attachment.addonId === addon.id);
  }

  attachmentNamed(app: AppRecord, name: string, namespace: string | null): AttachmentRecord | undefined {
    return this.attachmentsOfApp(app).find((attachment) => attachment.name === name && attachment.namespace === namespace);
  }

  collaboratorsOf(app: AppRecord): CollaboratorRecord[] {
    return this.collaborators.filter((entry) => entry.appId === app.id);
  }

  teamNamed(name: string): TeamRecord | undefined {
    return this.teams.get(name);
  }

  /** Creates the team on first use (teams exist only to hold members and apps here). */
  team(name: string): TeamRecord {
    let team = this.teams.get(name);
    if (!team) {
      team = { id: randomUUID(), name, members: [], createdAt: now() };
      this.teams.set(name, team);
    }
    return team;
  }

  configOf(app: AppRecord): Map<string, string> {
    let vars = this.config.get(app.id);
    if (!vars) {
      vars = new Map();
      this.config.set(app.id, vars);
    }
    return vars;
  }

  releasesOf(app: AppRecord): ReleaseRecord[] {
    let list = this.releases.get(app.id);
    if (!list) {
      list = [];
      this.releases.set(app.id, list);
    }
    return list;
  }

  ref(record: AppRecord | AddonRecord): SimRef {
    return { id: record.id, name: record.name };
  }

  appOf(addon: AddonRecord): AppRecord {
    return this.app(addon.appId);
  }

  toSimApp(app: AppRecord): SimApp {
    return { ...app };
  }

  toSimAddon(addon: AddonRecord): SimAddon {
    const forkedFrom = addon.forkedFromId === null ? null : (this.addons.get(addon.forkedFromId)?.name ?? addon.forkedFromId);
    return {
      id: addon.id,
      name: addon.name,
      app: this.ref(this.appOf(addon)),
      plan: addon.plan,
      state: addon.state,
      databaseName: addon.databaseName ?? '',
      forkedFrom,
      follower: addon.following !== null,
      available: addon.available,
      createdAt: addon.createdAt,
    };
  }

  toSimAttachment(attachment: AttachmentRecord): SimAttachment {
    const addon = this.addon(attachment.addonId);
    return {
      id: attachment.id,
      name: attachment.name,
      namespace: attachment.namespace,
      addon: { ...this.ref(addon), app: this.ref(this.appOf(addon)) },
      app: this.ref(this.app(attachment.appId)),
      createdAt: attachment.createdAt,
    };
  }
}

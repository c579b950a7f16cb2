// The simulated platform without HTTP: records, lifecycle, attachments and releases wired
// together. The HTTP server and the programmatic Simulator API both drive this.
import { Attachments } from './attachments.js';
import { DatabaseServer } from './databases.js';
import { EventLog } from './events.js';
import { Faults } from './faults.js';
import { Lifecycle } from './lifecycle.js';
import { RateLimiter } from './ratelimit.js';
import { Releases } from './releases.js';
import { Scheduler } from './scheduler.js';
import { randomUUID } from 'node:crypto';
import { teamOwnerEmail } from './access.js';
import { invalidParams } from './errors.js';
import { ACCOUNT } from './render.js';
import { type AppRecord, SimState, now } from './state.js';
import type {
  AddDatabaseOptions,
  CreateAppOptions,
  SimAddon,
  SimApp,
  SimAttachment,
  SimPermission,
  SimRequest,
  SimTeamRole,
  SimulatorOptions,
} from './types.js';

export class SimCore {
  readonly state = new SimState();
  readonly events = new EventLog();
  readonly scheduler = new Scheduler();
  readonly faults = new Faults();
  readonly requests: SimRequest[] = [];
  readonly databases: DatabaseServer;
  readonly releases: Releases;
  readonly attachments: Attachments;
  readonly lifecycle: Lifecycle;
  readonly rateLimiter: RateLimiter;

  constructor(readonly options: SimulatorOptions) {
    this.databases = new DatabaseServer(options.postgresUrl);
    this.releases = new Releases(this.state, this.events, this.scheduler, options.releaseDelayMs ?? 200);
    this.attachments = new Attachments(this.state, this.events, this.releases, this.databases, options.onAttach);
    this.lifecycle = new Lifecycle(this.state, this.events, this.databases, this.attachments, this.scheduler, {
      provisionDelayMs: options.provisionDelayMs ?? 300,
      dataApi404Ms: options.dataApi404Ms ?? 100,
      waitingMs: options.waitingMs ?? 200,
      deprovisionDelayMs: options.deprovisionDelayMs ?? 200,
    });
    this.rateLimiter = new RateLimiter(options.rateLimit ?? { capacity: 4500, refillPerMinute: 75 });
  }

  createApp(name: string, opts: CreateAppOptions = {}): SimApp {
    if (opts.team !== undefined && opts.owner !== undefined) throw invalidParams('An app is owned by an account or by a team, not both.');
    if (opts.team !== undefined) this.state.team(opts.team);
    const app = this.state.addApp(name, opts.releasePhase === true, {
      ownerEmail: opts.team === undefined ? (opts.owner ?? ACCOUNT.email) : teamOwnerEmail(opts.team),
      team: opts.team ?? null,
      locked: opts.locked === true,
    });
    app.maintenance = opts.maintenance === true;
    this.events.emit('app.created', {
      app: this.state.ref(app),
      detail: { releasePhase: app.releasePhase, owner: app.ownerEmail, team: app.team, maintenance: app.maintenance },
    });
    // Heroku apps start at v1 "Initial release"; it predates any release phase run.
    this.releases.create(app, 'Initial release', false);
    return this.state.toSimApp(app);
  }

  app(name: string): SimApp {
    return this.state.toSimApp(this.state.app(name));
  }

  /**
   * `PATCH /apps/{app}` `{"maintenance": …}`: the attribute is set, not toggled, so a repeat
   * changes nothing; only a change is logged (`app.updated`).
   */
  setMaintenance(app: AppRecord, on: boolean): AppRecord {
    if (app.maintenance === on) return app;
    app.maintenance = on;
    app.updatedAt = now();
    this.events.emit('app.updated', { app: this.state.ref(app), detail: { maintenance: on } });
    return app;
  }

  addCollaborator(app: string, email: string, permissions?: SimPermission[]): void {
    const record = this.state.app(app);
    if (record.team === null && permissions !== undefined) {
      throw invalidParams('Permissions can only be set on team apps: a personal app collaborator may do all but paid add-ons.');
    }
    // A team app collaborator always holds `view` (the CLI's `access:add` adds it to every grant).
    const granted = record.team === null ? null : [...new Set<SimPermission>([...(permissions ?? []), 'view'])];
    const existing = this.state.collaboratorsOf(record).find((entry) => entry.email.toLowerCase() === email.toLowerCase());
    if (existing) existing.permissions = granted;
    else this.state.collaborators.push({ id: randomUUID(), appId: record.id, email, permissions: granted, createdAt: now() });
  }

  addTeamMember(team: string, email: string, role: SimTeamRole): void {
    const record = this.state.team(team);
    const existing = record.members.find((member) => member.email.toLowerCase() === email.toLowerCase());
    if (existing) existing.role = role;
    else record.members.push({ id: randomUUID(), email, role, createdAt: now() });
  }

  async addDatabase(app: string, opts: AddDatabaseOptions = {}): Promise<SimAddon> {
    const addon = await this.lifecycle.addDatabase(this.state.app(app), opts);
    return this.state.toSimAddon(addon);
  }

  /** Seeding: replaces an attachment of the same name (as with `confirm`), never calls onAttach. */
  attach(addonNameOrId: string, app: string, name: string, namespace: string | null = null): SimAttachment {
    const attachment = this.attachments.attachNow({
      addon: this.state.addon(addonNameOrId),
      app: this.state.app(app),
      name,
      namespace,
      confirm: this.state.app(app).name,
    });
    return this.state.toSimAttachment(attachment);
  }

  addons(app?: string): SimAddon[] {
    const owner: AppRecord | undefined = app === undefined ? undefined : this.state.app(app);
    return [...this.state.addons.values()]
      .filter((addon) => addon.state !== 'deprovisioned' && addon.state !== 'deprovisioning')
      .filter((addon) => owner === undefined || addon.appId === owner.id)
      .map((addon) => this.state.toSimAddon(addon));
  }

  attachmentsOf(app: string): SimAttachment[] {
    return this.state.attachmentsOfApp(this.state.app(app)).map((attachment) => this.state.toSimAttachment(attachment));
  }

  configVars(app: string): Record<string, string> {
    return Object.fromEntries(this.state.configOf(this.state.app(app)));
  }

  databaseUrl(addonNameOrId: string): string {
    const addon = this.state.addon(addonNameOrId);
    if (!addon.credential) throw new Error(`${addon.name} has no database (state ${addon.state})`);
    return this.databases.urlFor(addon.credential);
  }

  async close(): Promise<void> {
    await this.scheduler.close();
    await this.databases.close();
  }
}

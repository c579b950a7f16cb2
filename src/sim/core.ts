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
import { type AppRecord, SimState } from './state.js';
import type { AddDatabaseOptions, SimAddon, SimApp, SimAttachment, SimRequest, SimulatorOptions } from './types.js';

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

  createApp(name: string, opts: { releasePhase?: boolean } = {}): SimApp {
    const app = this.state.addApp(name, opts.releasePhase === true);
    this.events.emit('app.created', { app: this.state.ref(app), detail: { releasePhase: app.releasePhase } });
    // Heroku apps start at v1 "Initial release"; it predates any release phase run.
    this.releases.create(app, 'Initial release', false);
    return this.state.toSimApp(app);
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

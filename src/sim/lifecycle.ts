// Add-on lifecycle: create -> provisioning -> provisioned (-> available) or deprovisioned (failed
// fork), and destroy -> deprovisioning -> gone. The database copy runs in the background, never
// inside the request, and the timing of each phase follows the simulator's options.
import { randomInt, randomUUID } from 'node:crypto';
import type { AttachRequest, Attachments } from './attachments.js';
import type { DatabaseCredential, DatabaseServer } from './databases.js';
import { invalidParams } from './errors.js';
import type { EventLog } from './events.js';
import { resolveForkSource } from './forks.js';
import { addonName } from './names.js';
import { parsePlan } from './plans.js';
import type { Scheduler } from './scheduler.js';
import { type AddonRecord, type AppRecord, type SimState, now } from './state.js';
import type { AddDatabaseOptions } from './types.js';

/** Data API `wait_status` answer (docs/heroku-api.md#waiting). */
export interface WaitStatusBody {
  'waiting?': boolean;
  'error?': boolean;
  message: string;
}

export interface Timing {
  provisionDelayMs: number;
  dataApi404Ms: number;
  waitingMs: number;
  deprovisionDelayMs: number;
}

export interface CreateAddonRequest {
  app: AppRecord;
  plan: string;
  name?: string;
  attachmentName?: string;
  confirm?: string;
  config: Record<string, string>;
}

interface Lineage {
  forkedFromId: string | null;
  following: string | null;
}

const ADDON_NAME = /^[a-zA-Z][A-Za-z0-9_-]+$/;

export class Lifecycle {
  private readonly forkFailures: string[] = [];

  constructor(
    private readonly state: SimState,
    private readonly events: EventLog,
    private readonly databases: DatabaseServer,
    private readonly attachments: Attachments,
    private readonly scheduler: Scheduler,
    private readonly timing: Timing,
  ) {}

  failNextFork(message = 'Fork failed: could not restore the base backup. Please try again.'): void {
    this.forkFailures.push(message);
  }

  /** `POST /apps/{app}/addons`: everything is validated before anything is recorded. */
  createAddon(request: CreateAddonRequest): AddonRecord {
    const plan = parsePlan(request.plan);
    const name = this.chooseName(request.name);
    const forkValue = request.config['fork'];
    const source = forkValue === undefined ? undefined : resolveForkSource(this.state, request.app, forkValue);
    const addon = this.open(
      request.app,
      plan,
      name,
      { forkedFromId: source?.id ?? null, following: null },
      {
        name: request.attachmentName,
        confirm: request.confirm,
      },
    );
    if (source) {
      addon.provisionMessage = 'Database will become available after it completes forking\nUse `heroku pg:wait` to track status';
    }
    const failure = source ? this.forkFailures.shift() : undefined;
    addon.provisioning = this.scheduler.track(this.provision(addon, source?.databaseName ?? undefined, failure));
    return addon;
  }

  /** Seeding: an add-on that is provisioned and available when this resolves. */
  async addDatabase(app: AppRecord, options: AddDatabaseOptions): Promise<AddonRecord> {
    const plan = parsePlan(options.plan ?? 'heroku-postgresql:standard-0');
    const name = this.chooseName(options.name);
    if (options.fromDatabase !== undefined && !(await this.databases.exists(options.fromDatabase))) {
      throw invalidParams(`No database named ${options.fromDatabase} on the PostgreSQL server.`);
    }
    const leader = options.fromDatabase === undefined ? undefined : this.addonByDatabase(options.fromDatabase);
    const following = options.follower ? (leader?.id ?? 'unknown') : null;
    const addon = this.open(app, plan, name, { forkedFromId: null, following }, { name: options.as });
    try {
      const credential = await this.databases.create({
        login: true,
        readOnly: options.follower === true,
        ...(options.fromDatabase === undefined ? {} : { template: options.fromDatabase }),
        ...(options.seedSql === undefined ? {} : { seedSql: options.seedSql }),
      });
      this.markProvisioned(addon, credential);
    } catch (error) {
      this.fail(addon, 'Seeding failed.');
      this.state.addons.delete(addon.id);
      throw error;
    }
    this.markAvailable(addon);
    // A seeded database already existed: the data API knows it from the start.
    addon.dataApiKnownAtMs = Date.now();
    await this.attachments.goLive(addon, { hook: false });
    return addon;
  }

  /** `DELETE /apps/{app}/addons/{addon}`: 200 when already deprovisioned, else 202 deprovisioning. */
  destroy(addon: AddonRecord, force: boolean): { status: 200 | 202; addon: AddonRecord } {
    if (addon.state === 'deprovisioned') {
      this.state.addons.delete(addon.id);
      this.events.emit('addon.destroyed', { app: this.appRef(addon), addon: this.state.ref(addon) });
      return { status: 200, addon };
    }
    if (addon.state === 'deprovisioning') return { status: 202, addon };
    const elsewhere = this.state.attachmentsOfAddon(addon).filter((attachment) => attachment.appId !== addon.appId);
    if (elsewhere.length > 0 && !force) {
      // The CLI's `force` means "allow destruction even if connected to other apps" (docs/heroku-api.md#destroying).
      const apps = [...new Set(elsewhere.map((attachment) => this.state.app(attachment.appId).name))].join(', ');
      throw invalidParams(`${addon.name} is attached to other apps (${apps}); detach it there first or destroy it with force.`);
    }
    this.setState(addon, 'deprovisioning');
    this.events.emit('addon.destroy_requested', { app: this.appRef(addon), addon: this.state.ref(addon) });
    this.attachments.removeAllOf(addon);
    void this.scheduler.track(this.deprovision(addon));
    return { status: 202, addon };
  }

  /** Data API `wait_status`; `null` means 404 (docs/heroku-api.md#waiting: not known to the data API yet). */
  waitStatus(addon: AddonRecord): WaitStatusBody | null {
    if (addon.state === 'deprovisioning') return null;
    if (Date.now() < addon.dataApiKnownAtMs) return null;
    if (addon.state === 'deprovisioned') return { 'waiting?': false, 'error?': true, message: addon.failureMessage ?? 'error' };
    if (addon.available) return { 'waiting?': false, 'error?': false, message: 'available' };
    return { 'waiting?': true, 'error?': false, message: 'preparing' };
  }

  /** Data API database info answers only once the database exists (docs/heroku-api.md#waiting). */
  knowsDatabase(addon: AddonRecord): boolean {
    return addon.state === 'provisioned' && Date.now() >= addon.dataApiKnownAtMs;
  }

  /**
   * Moves a created add-on's data-API view one phase on, whatever the timing options say:
   * 404 -> `preparing`, then `preparing` -> `available` (once provisioning has finished). Lets a
   * test watch a client go through each phase without racing the clock.
   */
  async advance(addon: AddonRecord): Promise<'preparing' | 'available'> {
    if (Date.now() < addon.dataApiKnownAtMs && !addon.available) {
      addon.dataApiKnownAtMs = Date.now();
      return 'preparing';
    }
    await addon.provisioning;
    if (addon.state !== 'provisioned') throw new Error(`${addon.name} is ${addon.state}: it cannot become available`);
    await this.makeAvailable(addon);
    return 'available';
  }

  private async provision(addon: AddonRecord, template: string | undefined, failure: string | undefined): Promise<void> {
    let credential: DatabaseCredential | null = null;
    let error: string | undefined = failure;
    if (failure === undefined) {
      try {
        credential = await this.databases.create({ login: false, ...(template === undefined ? {} : { template }) });
      } catch {
        error = 'Provisioning failed: the database could not be created. Please try again.';
      }
    }
    await this.scheduler.sleep(addon.createdAtMs + this.timing.provisionDelayMs - Date.now());
    if (addon.state === 'deprovisioning' || this.scheduler.isClosed) {
      addon.credential = credential; // the destroy job (or close) drops it
      return;
    }
    if (error !== undefined || !credential) {
      if (credential) await this.databases.drop(credential);
      this.fail(addon, error ?? 'Provisioning failed.');
      return;
    }
    this.markProvisioned(addon, credential);
    await this.attachments.goLive(addon, { hook: true });
    const availableAt = Math.max(Date.now(), addon.dataApiKnownAtMs) + this.timing.waitingMs;
    this.scheduler.later(availableAt - Date.now(), () => this.makeAvailable(addon));
  }

  /** Idempotent: the timer and `advance` may both get here. */
  private async makeAvailable(addon: AddonRecord): Promise<void> {
    if (addon.available || addon.state !== 'provisioned' || !addon.credential) return;
    await this.databases.allowLogin(addon.credential.user);
    if (addon.available || addon.state !== 'provisioned') return;
    this.markAvailable(addon);
  }

  private async deprovision(addon: AddonRecord): Promise<void> {
    await addon.provisioning;
    await this.scheduler.sleep(this.timing.deprovisionDelayMs);
    const database = addon.credential?.database ?? null;
    if (addon.credential) await this.databases.drop(addon.credential);
    addon.credential = null;
    this.state.addons.delete(addon.id);
    this.events.emit('addon.destroyed', { app: this.appRef(addon), addon: this.state.ref(addon), detail: { database } });
  }

  private chooseName(requested: string | undefined): string {
    if (requested === undefined) return addonName((name) => this.state.findAddon(name) !== undefined);
    if (!ADDON_NAME.test(requested)) {
      throw invalidParams('Name must start with a letter and can only contain letters, digits, underscores and dashes.');
    }
    if (this.state.findAddon(requested)) throw invalidParams('Name is already taken');
    return requested;
  }

  /** Records the add-on and its first attachment, after the attachment was validated. */
  private open(
    app: AppRecord,
    plan: string,
    name: string,
    lineage: Lineage,
    attach: { name?: string | undefined; confirm?: string | undefined },
  ): AddonRecord {
    const addon = this.record(app, plan, name, lineage);
    const request: AttachRequest = { addon, app, namespace: null, defaultToDatabase: true, ...attach };
    this.attachments.plan(request); // throws before the add-on exists
    this.state.addons.set(addon.id, addon);
    this.events.emit('addon.created', {
      app: this.state.ref(app),
      addon: this.state.ref(addon),
      detail: { plan: addon.plan, forkedFrom: addon.forkedFromId, following: addon.following },
    });
    this.attachments.attachNow(request);
    return addon;
  }

  private record(app: AppRecord, plan: string, name: string, lineage: Lineage): AddonRecord {
    return {
      id: randomUUID(),
      name,
      appId: app.id,
      plan,
      state: 'provisioning',
      createdAt: now(),
      createdAtMs: Date.now(),
      dataApiKnownAtMs: Date.now() + this.timing.dataApi404Ms,
      updatedAt: now(),
      providerId: `resource${randomInt(1e9)}@heroku.com`,
      ...lineage,
      available: false,
      failureMessage: null,
      provisionMessage: null,
      databaseName: null,
      credential: null,
      provisioning: null,
    };
  }

  private markProvisioned(addon: AddonRecord, credential: DatabaseCredential): void {
    addon.credential = credential;
    addon.databaseName = credential.database;
    this.setState(addon, 'provisioned');
    this.events.emit('addon.provisioned', {
      app: this.appRef(addon),
      addon: this.state.ref(addon),
      detail: { database: credential.database },
    });
  }

  private markAvailable(addon: AddonRecord): void {
    addon.available = true;
    this.events.emit('addon.available', { app: this.appRef(addon), addon: this.state.ref(addon) });
  }

  private fail(addon: AddonRecord, message: string): void {
    addon.failureMessage = message;
    this.setState(addon, 'deprovisioned');
    this.events.emit('addon.failed', { app: this.appRef(addon), addon: this.state.ref(addon), detail: { message } });
    this.attachments.removeAllOf(addon);
  }

  private setState(addon: AddonRecord, state: AddonRecord['state']): void {
    addon.state = state;
    addon.updatedAt = now();
  }

  private appRef(addon: AddonRecord) {
    return this.state.ref(this.state.appOf(addon));
  }

  private addonByDatabase(database: string): AddonRecord | undefined {
    return [...this.state.addons.values()].find((addon) => addon.databaseName === database);
  }
}

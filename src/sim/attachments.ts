// Attachment rules (docs/heroku-api.md#names, #promotion): naming, confirmation, the last billing
// attachment, and config vars + releases that follow attachments. An attachment's config var
// `<NAME>_URL` goes live only once its add-on is provisioned.
import { randomUUID } from 'node:crypto';
import type { DatabaseServer } from './databases.js';
import { confirmationRequired, invalidParams, SimError } from './errors.js';
import type { EventLog } from './events.js';
import { colorAttachmentName } from './names.js';
import type { Releases } from './releases.js';
import { type AddonRecord, type AppRecord, type AttachmentRecord, type SimState, now } from './state.js';
import type { AttachEvent } from './types.js';

export interface AttachRequest {
  addon: AddonRecord;
  app: AppRecord;
  name?: string;
  namespace: string | null;
  /** App name: authorises replacing an attachment of the same name and namespace. */
  confirm?: string;
  /** Add-on create only: the first database on an app without DATABASE becomes DATABASE (docs/heroku-api.md#names). */
  defaultToDatabase?: boolean;
}

interface AttachPlan {
  addon: AddonRecord;
  app: AppRecord;
  name: string;
  namespace: string | null;
  replaces: AttachmentRecord | undefined;
}

const ATTACHMENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function configVarName(attachment: { name: string }): string {
  return `${attachment.name}_URL`;
}

export class Attachments {
  constructor(
    private readonly state: SimState,
    private readonly events: EventLog,
    private readonly releases: Releases,
    private readonly databases: DatabaseServer,
    private readonly onAttach?: (event: AttachEvent) => Promise<void> | void,
  ) {}

  /** Validates an attach without changing anything; throws the API's error. */
  plan(request: AttachRequest): AttachPlan {
    const { addon, app, namespace } = request;
    if (addon.state === 'deprovisioning' || addon.state === 'deprovisioned') {
      throw invalidParams(`${addon.name} is ${addon.state} and cannot be attached.`);
    }
    const name = request.name ?? this.defaultName(app, request.defaultToDatabase === true);
    if (!ATTACHMENT_NAME.test(name)) {
      throw invalidParams('Name must start with a letter and can only contain letters, digits and underscores.');
    }
    const replaces = this.state.attachmentNamed(app, name, namespace);
    if (replaces && request.confirm !== app.name) {
      throw confirmationRequired(
        `${name} is already attached to ${app.name}. To proceed, confirm with the app name ${app.name} to replace it.`,
        'addon_attachment',
      );
    }
    if (replaces && replaces.addonId !== addon.id) this.refuseLastBilling(replaces, 'replacing its config vars');
    return { addon, app, name, namespace, replaces };
  }

  /** The API path: the onAttach hook is awaited before the attachment is committed. */
  async attach(request: AttachRequest): Promise<AttachmentRecord> {
    let plan = this.plan(request);
    if (plan.addon.state === 'provisioned' && this.onAttach) {
      await this.callHook(plan.app, plan.name, plan.addon);
      plan = this.plan({ ...request, name: plan.name }); // the world may have moved while the hook ran
    }
    return this.commit(plan);
  }

  /** Seeding path (sync, no hook). */
  attachNow(request: AttachRequest): AttachmentRecord {
    return this.commit(this.plan(request));
  }

  private commit(plan: AttachPlan): AttachmentRecord {
    if (plan.replaces) this.remove(plan.replaces);
    const attachment: AttachmentRecord = {
      id: randomUUID(),
      name: plan.name,
      namespace: plan.namespace,
      addonId: plan.addon.id,
      appId: plan.app.id,
      createdAt: now(),
      updatedAt: now(),
    };
    this.state.attachments.set(attachment.id, attachment);
    this.events.emit('attachment.created', {
      app: this.state.ref(plan.app),
      addon: this.state.ref(plan.addon),
      attachment: { id: attachment.id, name: attachment.name, namespace: attachment.namespace },
    });
    if (plan.addon.state === 'provisioned') this.publish(attachment, plan.addon);
    return attachment;
  }

  /** `DELETE /addon-attachments/{id}`: an add-on's last billing attachment stays (docs/heroku-api.md#promotion). */
  detach(attachment: AttachmentRecord): AttachmentRecord {
    this.refuseLastBilling(attachment, 'removing this attachment');
    this.remove(attachment);
    return attachment;
  }

  /** Add-on destroyed or failed: every attachment goes, on every app. */
  removeAllOf(addon: AddonRecord): void {
    for (const attachment of this.state.attachmentsOfAddon(addon)) this.remove(attachment);
  }

  /** The add-on just provisioned: its attachments' config vars go live, one release each. Seeding skips the hook. */
  async goLive(addon: AddonRecord, options: { hook: boolean }): Promise<void> {
    for (const attachment of this.state.attachmentsOfAddon(addon)) {
      const app = this.state.app(attachment.appId);
      if (this.onAttach && options.hook) {
        try {
          await this.callHook(app, attachment.name, addon);
        } catch (error) {
          this.events.emit('hook.failed', {
            app: this.state.ref(app),
            addon: this.state.ref(addon),
            detail: { attachment: attachment.name, message: error instanceof Error ? error.message : String(error) },
          });
        }
      }
      // Still attached and still alive after the hook?
      if (this.state.attachments.has(attachment.id) && addon.state === 'provisioned') this.publish(attachment, addon);
    }
  }

  private defaultName(app: AppRecord, databaseIfFree: boolean): string {
    if (databaseIfFree && !this.state.attachmentNamed(app, 'DATABASE', null)) return 'DATABASE';
    return colorAttachmentName((name) => this.state.attachmentsOfApp(app).some((attachment) => attachment.name === name));
  }

  private refuseLastBilling(attachment: AttachmentRecord, doing: string): void {
    const addon = this.state.addon(attachment.addonId);
    if (addon.appId !== attachment.appId || attachment.namespace !== null) return;
    if (addon.state === 'deprovisioning' || addon.state === 'deprovisioned') return;
    const others = this.state
      .attachmentsOfAddon(addon)
      .filter((other) => other.id !== attachment.id && other.appId === addon.appId && other.namespace === null);
    if (others.length > 0) return;
    const app = this.state.app(attachment.appId);
    // Status and id are unconfirmed (docs/heroku-api.md#promotion); 422 invalid_params is the reference table's "bad parameters".
    throw new SimError(
      422,
      'invalid_params',
      `${attachment.name} on ${app.name} is the last billing attachment to ${addon.name}; either remove the add-on entirely or add a new attachment to it before ${doing}.`,
    );
  }

  private remove(attachment: AttachmentRecord): void {
    const app = this.state.app(attachment.appId);
    const addon = this.state.addon(attachment.addonId);
    this.state.attachments.delete(attachment.id);
    this.events.emit('attachment.deleted', {
      app: this.state.ref(app),
      addon: this.state.ref(addon),
      attachment: { id: attachment.id, name: attachment.name, namespace: attachment.namespace },
    });
    const key = configVarName(attachment);
    const vars = this.state.configOf(app);
    if (vars.delete(key)) {
      this.events.emit('config.changed', { app: this.state.ref(app), detail: { unset: [key] } });
      this.releases.create(app, `Detach ${attachment.name} (@ref:${addon.name})`);
    }
  }

  private publish(attachment: AttachmentRecord, addon: AddonRecord): void {
    if (!addon.credential) return;
    const app = this.state.app(attachment.appId);
    const key = configVarName(attachment);
    this.state.configOf(app).set(key, this.databases.urlFor(addon.credential));
    this.events.emit('config.changed', {
      app: this.state.ref(app),
      addon: this.state.ref(addon),
      detail: { set: [key], attachment: attachment.name },
    });
    this.releases.create(app, `Attach ${attachment.name} (@ref:${addon.name})`);
  }

  private async callHook(app: AppRecord, name: string, addon: AddonRecord): Promise<void> {
    if (!this.onAttach || !addon.credential) return;
    await this.onAttach({
      app: app.name,
      name,
      addon: this.state.toSimAddon(addon),
      databaseUrl: this.databases.urlFor(addon.credential),
      adminUrl: this.databases.adminUrlFor(addon.credential.database),
    });
  }
}

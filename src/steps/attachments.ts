// Reading Heroku attachments the way `heroku pg:promote` does (docs/heroku-api.md#attachments),
// and who owns what (docs/fork-app.md).
import { FORK_PREFIX } from './names.js';
import type { Attachment } from '../heroku/types.js';
import type { AddonRef } from './types.js';

/** The app's primary database attachment: name DATABASE, no namespace. */
export function primaryDatabase(attachments: Attachment[]): Attachment | undefined {
  return attachments.find((a) => a.name === 'DATABASE' && (a.namespace ?? null) === null);
}

export function addonRefOf(attachment: Attachment | null | undefined): AddonRef | null {
  const addon = attachment?.addon;
  if (!addon) return null;
  return { id: addon.id, name: addon.name, app: addon.app.name ?? '' };
}

export function attachesAddon(attachment: Attachment, addonId: string): boolean {
  return attachment.addon?.id === addonId;
}

/** Plans Heroku cannot fork from (docs/heroku-api.md#plans). */
export function isForkablePlan(plan: string): boolean {
  const tier = plan.replace(/^heroku-postgresql:/, '');
  return !/^(essential|mini|basic|hobby|dev)/.test(tier);
}

/**
 * The replaced database may be destroyed only if the target owns it, or if refork created it:
 * owned by the fork app and named by refork. Any other owner's database is only detached.
 */
export function mayDestroy(database: AddonRef, apps: { target: string; forkApp: string }): boolean {
  return database.app === apps.target || (database.app === apps.forkApp && database.name.startsWith(FORK_PREFIX));
}

/** Heroku refuses to move an add-on's last attachment on the app that owns (bills) it. */
export function isBillingAttachment(attachment: Attachment, app: string): boolean {
  return attachment.addon?.app.name === app && (attachment.namespace ?? null) === null;
}

// Reading Heroku attachments the way `heroku pg:promote` does (docs/heroku-api.md#attachments).
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

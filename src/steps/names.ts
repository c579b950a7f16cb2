// The names refork gives what it creates, chosen before the call so a crash can look them up.
// Everything refork creates carries them; `gc` and cleanup tell refork's own add-ons by them.

/** Every add-on refork creates is named with it. */
export const FORK_PREFIX = 'refork-';
const ATTACHMENT_PREFIX = 'REFORK_';

/** `refork-<pipeline>-<12 hex of the run id>`: globally unique, a valid Heroku add-on name. */
export function forkNameFor(pipeline: string, runId: string): string {
  return `${FORK_PREFIX}${pipeline}-${runId.replace(/-/g, '').slice(0, 12)}`.toLowerCase();
}

/** The fork's own attachment, on the app it is created on; never `DATABASE`. */
export function attachmentNameFor(runId: string): string {
  return `${ATTACHMENT_PREFIX}${runId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

/** A fork's own attachment (`REFORK_` and 8 hex digits): not a use of the add-on, for `gc`. */
export function isForkAttachmentName(name: string): boolean {
  return /^REFORK_[0-9A-F]{8}$/.test(name);
}

/**
 * The name the database a refresh replaced is kept under on the target, during the rollback
 * window: config var REFORK_PREVIOUS_URL (docs/rollback.md). Not a fork's attachment name (no hex).
 */
export const PREVIOUS_ATTACHMENT = `${ATTACHMENT_PREFIX}PREVIOUS`;

// The rollback window on Heroku (docs/rollback.md): keep a replaced database on the target
// under REFORK_PREVIOUS, and retire one (destroy it, or detach it when it is not refork's to
// destroy). Every change is recorded before and after it in the control database, and each
// Heroku call is safe to repeat: a crash between any two of them is finished by running the
// same function again.
import type { Attachment, HerokuApi } from '../heroku/types.js';
import type { PreviousDatabase, PreviousStore, RetireReason } from '../store/previous.js';
import type { Boundary } from '../boundary.js';
import { attachesAddon, mayDestroy } from './attachments.js';
import { mutation } from './deps.js';
import { PREVIOUS_ATTACHMENT } from './names.js';
import { StepError, type AddonRef } from './types.js';

/** What keeping and retiring need: Heroku, the crash boundaries, the records. */
export interface PreviousDeps {
  heroku: HerokuApi;
  boundary: Boundary;
  previous?: PreviousStore;
}

export function previousStoreOf(deps: PreviousDeps): PreviousStore {
  if (!deps.previous)
    throw new StepError('keep_previous needs the control database’s records, which this process was not given', 'no_previous_store');
  return deps.previous;
}

export interface KeepRequest {
  app: string;
  forkApp: string;
  pipeline: string;
  runId: string;
  database: AddonRef;
  windowMs: number;
  signal: AbortSignal;
}

/**
 * Keeps `database` as the pipeline's previous one: the older previous (if any) is retired
 * first (its REFORK_PREVIOUS attachment goes with it), then the alias is made and the record
 * written. Called only once the new DATABASE is confirmed, so nothing older is destroyed
 * before a promotion.
 */
export async function keepAsPrevious(
  deps: PreviousDeps,
  request: KeepRequest,
): Promise<{ record: PreviousDatabase; replaced: string | null }> {
  const store = previousStoreOf(deps);
  const { app, database, signal } = request;
  const older = await store.current(request.pipeline);
  let replaced: string | null = null;
  if (older && older.addonId !== database.id) {
    if (older.state === 'restoring') {
      throw new StepError(`the previous database ${older.addonName} is being rolled back to; not replacing it`, 'previous_in_use', true);
    }
    await retirePrevious(deps, older, 'replaced', signal);
    replaced = older.addonName;
  }
  const attachments = await deps.heroku.listAttachments(app, { signal });
  const alias = attachments.find((a) => a.name === PREVIOUS_ATTACHMENT && (a.namespace ?? null) === null);
  if (!alias || !attachesAddon(alias, database.id)) {
    await mutation(deps, 'aliasPrevious', () =>
      deps.heroku.createAttachment({ addon: database.id, app, name: PREVIOUS_ATTACHMENT, namespace: null, confirm: app }, { signal }),
    );
  }
  const record = await store.keep({
    pipeline: request.pipeline,
    addonId: database.id,
    addonName: database.name,
    ownerApp: database.app,
    targetApp: app,
    mayDestroy: mayDestroy(database, { target: app, forkApp: request.forkApp }),
    runId: request.runId,
    windowMs: request.windowMs,
  });
  return { record, replaced };
}

/** Ends a previous database's stay: recorded as `destroying` first, then destroyed (or detached), then recorded done. */
export async function retirePrevious(
  deps: PreviousDeps,
  record: PreviousDatabase,
  reason: RetireReason,
  signal: AbortSignal,
): Promise<void> {
  const store = previousStoreOf(deps);
  if (record.state === 'kept' && !(await store.retire(record.id, reason))) {
    // Someone moved it meanwhile (a rollback took it, another beat retired it): look again.
    const now = await store.current(record.pipeline);
    if (!now || now.id !== record.id || now.state !== 'destroying') return;
  } else if (record.state !== 'kept' && record.state !== 'destroying') return;
  await dispose(deps, { id: record.addonId, name: record.addonName, app: record.ownerApp }, record.targetApp, record.mayDestroy, signal);
  await store.destroyed(record.id);
}

/**
 * Destroys a database refork may destroy (detaching it from the target first when another app
 * owns it: Heroku destroys only what no other app uses), else only detaches it from the target.
 * Gone already counts as done.
 */
export async function dispose(
  deps: PreviousDeps,
  database: AddonRef,
  targetApp: string,
  destroy: boolean,
  signal: AbortSignal,
): Promise<'destroyed' | 'detached'> {
  const onTarget = (await deps.heroku.listAttachments(targetApp, { signal })).filter((a) => attachesAddon(a, database.id));
  if (onTarget.some((a) => a.name === 'DATABASE' && (a.namespace ?? null) === null)) {
    throw new StepError(`refusing to remove ${database.name}: it is ${targetApp}'s DATABASE`, 'previous_is_database');
  }
  if (destroy) {
    if (database.app !== targetApp) await detachAll(deps, onTarget, signal);
    await mutation(deps, 'destroyPrevious', () => deps.heroku.destroyAddon(database.app, database.id, { signal }));
    return 'destroyed';
  }
  await detachAll(deps, onTarget, signal);
  return 'detached';
}

async function detachAll(deps: PreviousDeps, attachments: Attachment[], signal: AbortSignal): Promise<void> {
  for (const attachment of attachments) {
    const id = attachment.id;
    if (!id) continue;
    await mutation(deps, 'detachPrevious', () => deps.heroku.deleteAttachment(id, { signal }));
  }
}

// A rollback's own effects (docs/rollback.md): take the pipeline's previous database (so the
// expiry beat and the next refresh leave it alone), and after `promote` has made it DATABASE
// again, drop its REFORK_PREVIOUS alias and keep the database rolled back from as the new
// previous, or retire it. Each reads Heroku and the records first, so a repeat is harmless.
import { addonRefOf, attachesAddon, mayDestroy, primaryDatabase } from './attachments.js';
import { mutation, type StepDeps } from './deps.js';
import { PREVIOUS_ATTACHMENT } from './names.js';
import { dispose, keepAsPrevious, previousStoreOf } from './previous.js';
import {
  StepError,
  type CleanupRollbackInput,
  type CleanupRollbackOutput,
  type ReleaseRollbackInput,
  type ReleaseRollbackOutput,
  type ReservePreviousInput,
  type ReservePreviousOutput,
  type StepContext,
} from './types.js';

export async function reservePrevious(
  deps: StepDeps,
  input: ReservePreviousInput,
  { signal }: StepContext,
): Promise<ReservePreviousOutput> {
  const store = previousStoreOf(deps);
  const record = await store.current(input.pipeline);
  if (!record) throw new StepError(`nothing to roll back to: no previous database is kept for ${input.pipeline}`, 'no_previous');
  if (record.state === 'destroying' || (record.state === 'restoring' && record.rollbackRun !== input.runId)) {
    throw new StepError(
      `the previous database ${record.addonName} is ${record.state === 'destroying' ? 'being destroyed' : 'held by another rollback'}`,
      'previous_busy',
    );
  }
  if (!(await store.reserve(record.id, input.runId))) {
    throw new StepError(`the rollback window for ${record.addonName} ended at ${record.keptUntil.toISOString()}`, 'window_expired');
  }
  const addon = await deps.heroku.findAddon(record.addonId, { signal });
  if (!addon || addon.state === 'deprovisioning' || addon.state === 'deprovisioned') {
    throw new StepError(`the previous database ${record.addonName} no longer exists on Heroku`, 'previous_gone');
  }
  const current = addonRefOf(primaryDatabase(await deps.heroku.listAttachments(input.app, { signal })));
  if (!current) throw new StepError(`${input.app} has no DATABASE to roll back from`, 'no_database');
  if (current.id === record.addonId) throw new StepError(`${record.addonName} already is ${input.app}'s DATABASE`, 'already_database');
  return { previous: { id: record.addonId, name: record.addonName, app: record.ownerApp }, current };
}

export async function cleanupRollback(
  deps: StepDeps,
  input: CleanupRollbackInput,
  { signal, logger }: StepContext,
): Promise<CleanupRollbackOutput> {
  const store = previousStoreOf(deps);
  const { app, previous, current } = input;
  const attachments = await deps.heroku.listAttachments(app, { signal });
  const database = primaryDatabase(attachments);
  if (!database || !attachesAddon(database, previous.id)) {
    throw new StepError(`refusing to clean up: ${app}'s DATABASE is not ${previous.name}`, 'not_promoted');
  }
  const record = await store.current(input.pipeline);
  if (record?.state === 'restoring' && record.rollbackRun === input.runId) await store.restored(record.id, input.runId);

  const alias = attachments.find((a) => a.name === PREVIOUS_ATTACHMENT && attachesAddon(a, previous.id));
  if (alias?.id) {
    const id = alias.id;
    await mutation(deps, 'detachPreviousAlias', () => deps.heroku.deleteAttachment(id, { signal }));
  }

  if (input.keepPreviousMs !== null || input.releaseFailed) {
    if (input.keepPreviousMs === null) {
      // No window configured, but the release failed on the restored database: a human decides; keep it reachable.
      await keepAlias(deps, app, current.id, signal);
      return { rolledBackFrom: 'left' };
    }
    const { record: kept } = await keepAsPrevious(deps, {
      app,
      forkApp: input.forkApp,
      pipeline: input.pipeline,
      runId: input.runId,
      database: current,
      windowMs: input.keepPreviousMs,
      signal,
    });
    logger.info('database rolled back from kept as the previous one', {
      app,
      addon: current.name,
      keptUntil: kept.keptUntil.toISOString(),
    });
    return { rolledBackFrom: 'kept', keptUntil: kept.keptUntil.toISOString() };
  }
  const done = await dispose(deps, current, app, mayDestroy(current, { target: app, forkApp: input.forkApp }), signal);
  logger.info(`database rolled back from ${done}`, { app, addon: current.name });
  return { rolledBackFrom: done };
}

async function keepAlias(deps: StepDeps, app: string, addonId: string, signal: AbortSignal): Promise<void> {
  const existing = await deps.heroku.getAttachment(app, PREVIOUS_ATTACHMENT, { signal });
  if (existing && attachesAddon(existing, addonId)) return;
  await mutation(deps, 'aliasPrevious', () =>
    deps.heroku.createAttachment({ addon: addonId, app, name: PREVIOUS_ATTACHMENT, namespace: null, confirm: app }, { signal }),
  );
}

export async function releaseRollback(
  deps: StepDeps,
  input: ReleaseRollbackInput,
  { signal }: StepContext,
): Promise<ReleaseRollbackOutput> {
  const store = previousStoreOf(deps);
  if (input.previous && input.promotionStarted) {
    const database = primaryDatabase(await deps.heroku.listAttachments(input.app, { signal }));
    if (database && attachesAddon(database, input.previous.id)) return { promoted: true };
  }
  const record = await store.current(input.pipeline);
  if (record?.state === 'restoring' && record.rollbackRun === input.runId) await store.unreserve(record.id, input.runId);
  return { promoted: false };
}

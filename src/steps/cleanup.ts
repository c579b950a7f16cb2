// After a confirmed promotion: drop the fork's temporary attachment and get rid of the old
// database. It is destroyed only if the target owns it or refork created it on the fork app;
// a database owned by any other app is detached from the target, never destroyed
// (docs/fork-app.md "Who owns what"). Gone already (404) counts as done. With `keep_previous`
// it is kept instead, as the pipeline's previous database (docs/rollback.md).
import type { Attachment } from '../heroku/types.js';
import { attachesAddon, mayDestroy, primaryDatabase } from './attachments.js';
import { mutation, type StepDeps } from './deps.js';
import { keepAsPrevious } from './previous.js';
import { StepError, type CleanupInput, type CleanupOutput, type StepContext } from './types.js';

export async function cleanup(deps: StepDeps, input: CleanupInput, { signal, logger }: StepContext): Promise<CleanupOutput> {
  const { heroku } = deps;
  const { app, forkApp, fork, oldDatabase } = input;
  const attachments = await heroku.listAttachments(app, { signal });
  const current = primaryDatabase(attachments);
  if (!current || !attachesAddon(current, fork.id)) {
    throw new StepError(`refusing to clean up: ${app}'s DATABASE is not the fork ${fork.name}`, 'not_promoted');
  }

  // On the target the fork's first attachment was temporary: DATABASE now bills it there. On a
  // fork app it is the fork's billing attachment, which stays as long as the fork lives.
  const temporary = forkApp === app ? attachments.find((a) => a.name === input.attachmentName && attachesAddon(a, fork.id)) : undefined;
  if (temporary?.id) {
    const id = temporary.id;
    await mutation(deps, 'detachForkAlias', () => heroku.deleteAttachment(id, { signal }));
  }

  if (!oldDatabase || oldDatabase.id === fork.id) return { oldDatabase: 'none' };
  const onTarget = attachments.filter((a) => attachesAddon(a, oldDatabase.id));
  if (input.keepOldDatabase) {
    // Kept for a rollback: reachable from the target under an alias, which also tells `gc` it is in use.
    if (onTarget.length === 0) {
      await mutation(deps, 'aliasOldDatabase', () =>
        heroku.createAttachment({ addon: oldDatabase.id, app, namespace: null, confirm: app }, { signal }),
      );
    }
    return { oldDatabase: 'kept' };
  }
  if (input.keepPrevious) {
    const { pipeline, runId, windowMs } = input.keepPrevious;
    const { record, replaced } = await keepAsPrevious(deps, { app, forkApp, pipeline, runId, database: oldDatabase, windowMs, signal });
    logger.info('old database kept for a rollback', { app, addon: oldDatabase.name, keptUntil: record.keptUntil.toISOString(), replaced });
    return { oldDatabase: 'kept', previous: { addon: oldDatabase.name, keptUntil: record.keptUntil.toISOString(), replaced } };
  }
  if (mayDestroy(oldDatabase, { target: app, forkApp })) {
    // One the fork app owns may still be attached here (an alias): Heroku destroys only what no other app uses.
    if (oldDatabase.app !== app) await detachAll(deps, onTarget, signal);
    await mutation(deps, 'destroyOldDatabase', () => heroku.destroyAddon(oldDatabase.app, oldDatabase.id, { signal }));
    logger.info('old database destroyed', { app: oldDatabase.app, addon: oldDatabase.name });
    return { oldDatabase: 'destroyed' };
  }
  await detachAll(deps, onTarget, signal);
  logger.info('old database detached (not refork’s to destroy)', { app, addon: oldDatabase.name, owner: oldDatabase.app });
  return { oldDatabase: 'detached' };
}

async function detachAll(deps: StepDeps, attachments: Attachment[], signal: AbortSignal): Promise<void> {
  for (const attachment of attachments) {
    const id = attachment.id;
    if (!id) continue;
    await mutation(deps, 'detachOldDatabase', () => deps.heroku.deleteAttachment(id, { signal }));
  }
}

// After a confirmed promotion: drop the fork's temporary attachment and get rid of the old
// database. Destroy it only if the target app owns it; a database shared from another app is
// detached, never destroyed. Gone already (404) counts as done.
import { attachesAddon, primaryDatabase } from './attachments.js';
import { mutation, type StepDeps } from './deps.js';
import { StepError, type CleanupInput, type CleanupOutput, type StepContext } from './types.js';

export async function cleanup(deps: StepDeps, input: CleanupInput, { signal, logger }: StepContext): Promise<CleanupOutput> {
  const { heroku } = deps;
  const { app, fork, oldDatabase } = input;
  const attachments = await heroku.listAttachments(app, { signal });
  const current = primaryDatabase(attachments);
  if (!current || !attachesAddon(current, fork.id)) {
    throw new StepError(`refusing to clean up: ${app}'s DATABASE is not the fork ${fork.name}`, 'not_promoted');
  }

  const temporary = attachments.find((a) => a.name === input.attachmentName && attachesAddon(a, fork.id));
  if (temporary?.id) {
    const id = temporary.id;
    await mutation(deps, 'detachForkAlias', () => heroku.deleteAttachment(id, { signal }));
  }

  if (!oldDatabase || oldDatabase.id === fork.id) return { oldDatabase: 'none' };
  if (input.keepOldDatabase) return { oldDatabase: 'kept' };
  if (oldDatabase.app === app) {
    await mutation(deps, 'destroyOldDatabase', () => heroku.destroyAddon(app, oldDatabase.id, { signal }));
    logger.info('old database destroyed', { app, addon: oldDatabase.name });
    return { oldDatabase: 'destroyed' };
  }
  for (const attachment of attachments) {
    if (!attachesAddon(attachment, oldDatabase.id) || !attachment.id) continue;
    const id = attachment.id;
    await mutation(deps, 'detachOldDatabase', () => heroku.deleteAttachment(id, { signal }));
  }
  logger.info('old database detached (owned by another app)', { app, addon: oldDatabase.name, owner: oldDatabase.app });
  return { oldDatabase: 'detached' };
}

// Undo a run that will not finish: destroy its fork on the fork app, found by its deterministic
// name (its id may never have been stored). If the fork already is the target's DATABASE, roll
// forward instead.
import { HerokuApiError } from '../heroku/types.js';
import { attachesAddon } from './attachments.js';
import { mutation, type StepDeps } from './deps.js';
import type { CompensateInput, CompensateOutput, StepContext } from './types.js';

export async function compensate(deps: StepDeps, input: CompensateInput, { signal, logger }: StepContext): Promise<CompensateOutput> {
  const { heroku } = deps;
  const fork = await heroku.getAddon(input.forkApp, input.forkName, { signal });
  if (!fork || fork.state === 'deprovisioning') return { promoted: false, destroyed: false };
  const database = await heroku.getAttachment(input.app, 'DATABASE', { signal });
  if (database && attachesAddon(database, fork.id)) return { promoted: true, destroyed: false };
  try {
    await mutation(deps, 'destroyFork', () => heroku.destroyAddon(input.forkApp, fork.id, { signal }));
  } catch (error) {
    // A fork that failed to provision may refuse a destroy; it bills nothing and Heroku removes it.
    if (!(fork.state === 'deprovisioned' && error instanceof HerokuApiError && error.status < 500)) throw error;
  }
  logger.info('fork destroyed', { app: input.forkApp, addon: fork.name });
  return { promoted: false, destroyed: true };
}

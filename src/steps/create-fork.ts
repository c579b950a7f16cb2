// Create the fork add-on under the name chosen before the call, or adopt it if an earlier
// attempt (whose answer may have been lost) already created it: never two forks per run.
import { HerokuApiError } from '../heroku/types.js';
import { mutation, type StepDeps } from './deps.js';
import { StepError, type CreateForkInput, type CreateForkOutput, type StepContext } from './types.js';

export async function createFork(deps: StepDeps, input: CreateForkInput, { signal, logger }: StepContext): Promise<CreateForkOutput> {
  const { heroku } = deps;
  const existing = await heroku.getAddon(input.app, input.name, { signal });
  if (existing) return { id: existing.id, name: existing.name };
  if (!input.forkFrom) throw new StepError('no source database was resolved before forking', 'source_missing');

  const config: Record<string, string> = { fork: input.forkFrom };
  if (input.fast) config.fast = 'true';
  try {
    const created = await mutation(deps, 'createAddon', () =>
      heroku.createAddon(input.app, { plan: input.plan, name: input.name, attachmentName: input.attachmentName, config }, { signal }),
    );
    logger.info('fork created', { app: input.app, addon: created.name, state: created.state });
    return { id: created.id, name: created.name };
  } catch (error) {
    // The name is ours if a lost answer hid our own earlier create; anyone else's is a hard stop.
    if (error instanceof HerokuApiError && error.status === 422) {
      const adopted = await heroku.getAddon(input.app, input.name, { signal });
      if (adopted) return { id: adopted.id, name: adopted.name };
    }
    throw error;
  }
}

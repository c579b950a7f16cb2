// One look at the fork: add-on state (Platform API) and database readiness (data API), like
// `addons:wait` then `pg:wait`. The machine persists the result and schedules the next look.
import type { StepDeps } from './deps.js';
import { StepError, type StepContext, type WaitForForkInput, type WaitForForkOutput } from './types.js';

export async function waitForFork(deps: StepDeps, input: WaitForForkInput, { signal }: StepContext): Promise<WaitForForkOutput> {
  const { heroku, clock, polling } = deps;
  const observedAt = clock.now();
  const startedAt = input.startedAt ?? observedAt;
  if (observedAt - startedAt > input.maxWaitMinutes * 60_000) {
    throw new StepError(
      `fork not available after ${input.maxWaitMinutes} minutes: giving up (raise max_wait_minutes for large databases)`,
      'wait_timeout',
    );
  }
  const next = (message: string, notFound: number): WaitForForkOutput => ({
    available: false,
    message,
    notFound,
    observedAt,
    nextPollAt: observedAt + Math.min(polling.maxMs, Math.round(polling.minMs * 1.5 ** Math.min(input.polls, 20))),
  });

  const addon = await heroku.findAddon(input.forkId, { signal });
  if (!addon) throw new StepError(`fork add-on ${input.forkId} no longer exists on Heroku`, 'fork_missing');
  if (addon.state === 'deprovisioned' || addon.state === 'deprovisioning') {
    throw new StepError(`fork ${addon.name} failed to provision (state ${addon.state})`, 'fork_failed');
  }
  if (addon.state === 'provisioning') return next('provisioning', input.notFound);

  const status = await heroku.waitStatus(input.forkId, { signal });
  if (!status) {
    // The data API does not know a new database for a while (heroku-pg#98): bounded.
    const notFound = input.notFound + 1;
    if (notFound > polling.notFoundLimit) {
      throw new StepError(`fork ${addon.name} unknown to the Postgres API after ${notFound} polls`, 'fork_unknown');
    }
    return next('waiting to provision', notFound);
  }
  if (status['error?']) throw new StepError(`fork ${addon.name} failed: ${status.message}`, 'fork_failed');
  if (status['waiting?']) return next(status.message, input.notFound);
  return { available: true, message: status.message, notFound: input.notFound, observedAt, nextPollAt: observedAt };
}

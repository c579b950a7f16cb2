import type { App } from '../../app/open.js';
import { expirePrevious } from '../../gc/expire-previous.js';
import type { ServeDeps } from '../../runner/serve.js';

/** The part of the app that `worker` and `tick` hand to the runner. */
export function serveDeps(app: App): ServeDeps {
  return {
    store: app.store,
    outbox: app.outbox,
    logger: app.logger,
    owner: app.owner,
    leaseTtlMs: app.tuning.leaseTtlMs,
    depsFor: (pipeline) => app.runnerDeps(pipeline),
    beat: async (pipelines, shutdown) => {
      await expirePrevious(app, pipelines, shutdown);
    },
  };
}

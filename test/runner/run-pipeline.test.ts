// `refork run` on shutdown: whatever the moment the signal comes, the run is stopped, not paused.
import { afterEach, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/open.js';
import { silentLogger } from '../../src/log/logger.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { migrateToLatest } from '../../src/store/index.js';
import { createWorld, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('runPipeline', () => {
  it('reports a shutdown that comes while a waiting run is handed back as stopped, not paused', { timeout: 60_000 }, async () => {
    world = await createWorld({ provisionDelayMs: 3_600_000 }); // the fork never becomes ready here
    const app = await openApp({ processEnv: world.env, logger: silentLogger() });
    const shutdown = new AbortController();
    try {
      await migrateToLatest(app.knex);
      const pipeline = app.pipeline('staging');
      const deps = app.runnerDeps(pipeline);
      // The signal lands exactly in the window between the run being handed back (its next poll
      // is due later) and the loop deciding whether to sleep for it.
      const store = {
        ...deps.store,
        releaseLease: async (lease: Parameters<typeof deps.store.releaseLease>[0]) => {
          await deps.store.releaseLease(lease);
          shutdown.abort(new Error('SIGTERM'));
        },
      };
      const outcome = await runPipeline({ ...deps, store }, pipeline, { start: true, deadline: null, shutdown: shutdown.signal });
      expect(outcome).toMatchObject({ kind: 'stopped', state: expect.stringMatching(/forking|waiting/) });
    } finally {
      shutdown.abort(new Error('test over'));
      await app.close();
    }
  });
});

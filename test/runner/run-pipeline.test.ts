// `refork run` on shutdown: whatever the moment the signal comes, the run is stopped, not paused;
// and a lease it could not hand back between two polls does not stop it.
import { afterEach, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/open.js';
import { silentLogger } from '../../src/log/logger.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { migrateToLatest } from '../../src/store/index.js';
import { capturedLog } from '../support/log.js';
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

  it('goes on when handing back its lease between two polls fails, and says so', { timeout: 60_000 }, async () => {
    world = await createWorld({ provisionDelayMs: 1_000 });
    const log = capturedLog();
    const app = await openApp({ processEnv: world.env, logger: log.logger });
    try {
      await migrateToLatest(app.knex);
      const pipeline = app.pipeline('staging');
      const deps = app.runnerDeps(pipeline);
      // The control database drops the connection of the first hand-back (the run's step is saved).
      let failed = 0;
      const store = {
        ...deps.store,
        releaseLease: async (lease: Parameters<typeof deps.store.releaseLease>[0]) => {
          if (failed++ === 0) throw new Error('Connection terminated unexpectedly');
          await deps.store.releaseLease(lease);
        },
      };
      const outcome = await runPipeline({ ...deps, store }, pipeline, {
        start: true,
        deadline: null,
        shutdown: new AbortController().signal,
      });
      expect(outcome).toMatchObject({ kind: 'finished', status: 'succeeded' });
      const warned = log.entries().filter((line) => line.level === 'warn');
      expect(warned).toEqual([
        expect.objectContaining({ message: 'lease not handed back; it expires on its own', error: 'Connection terminated unexpectedly' }),
      ]);
    } finally {
      await app.close();
    }
  });
});

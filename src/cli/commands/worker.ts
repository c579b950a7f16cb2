import { openApp } from '../../app/open.js';
import { serve } from '../../runner/serve.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';
import { serveDeps } from './serve-deps.js';

/**
 * `refork worker` (a Procfile `worker`): serves every due run of every pipeline until SIGTERM,
 * side by side, with any number of other workers (they share the control database only). On
 * SIGTERM each run in hand abandons its step and is handed back for another process.
 */
export async function workerCommand(options: { intervalSeconds: number; heavy?: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    await migrateToLatest(app.knex);
    const limits = { ...app.tuning.limits, ...(options.heavy ? { heavy: options.heavy } : {}) };
    app.logger.info('worker started', { owner: app.owner, pipelines: Object.keys(app.config.pipelines), ...limits });
    await serve(serveDeps(app), {
      pipelines: Object.values(app.config.pipelines),
      deadline: null,
      shutdown: shutdown.signal,
      limits,
      idleMs: options.intervalSeconds * 1000,
      untilIdle: false,
      onOutcome: (pipeline, outcome) => {
        if (outcome.kind === 'idle') return;
        // A run handed back to wait for its next poll is routine; its transitions are logged already.
        const level = outcome.kind === 'yielded' ? 'debug' : 'info';
        app.logger.log(level, 'run handed back', { pipeline, outcome: describeOutcome(pipeline, outcome).line });
      },
    });
    app.logger.info('worker stopped', { owner: app.owner });
    return 0;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

import { openApp } from '../../app/open.js';
import { onShutdown } from '../../runner/signals.js';
import { tickPipelines } from '../../runner/tick.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork worker` (a Procfile `worker`): resumes interrupted runs at boot, then ticks on its own
 * clock until SIGTERM, when it abandons the step in flight and releases the lease.
 */
export async function workerCommand(options: { intervalSeconds: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    await migrateToLatest(app.knex);
    app.logger.info('worker started', { owner: app.owner, pipelines: Object.keys(app.config.pipelines) });
    while (!shutdown.signal.aborted) {
      try {
        for (const { pipeline, outcome } of await tickPipelines(app, { deadline: null, shutdown: shutdown.signal })) {
          if (outcome.kind !== 'idle') app.logger.info('tick', { pipeline, outcome: describeOutcome(pipeline, outcome).line });
        }
      } catch (error) {
        // A control-database outage or a bad snapshot must not kill the worker: log, wait, retry.
        app.logger.error('tick failed', { error: error instanceof Error ? error.message : String(error) });
      }
      await app.clock.sleep(options.intervalSeconds * 1000, shutdown.signal);
    }
    app.logger.info('worker stopped', { owner: app.owner });
    return 0;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

import { openApp } from '../../app/open.js';
import { serve } from '../../runner/serve.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';
import { serveDeps } from './serve-deps.js';

/** How often a tick looks at the control table while it waits for a run's next due time. */
const TICK_IDLE_MS = 15_000;

/**
 * `refork tick`, for a scheduler: what `refork worker` does, bounded by a budget so a Heroku
 * Scheduler dyno ends before its next one starts. It starts runs whose schedule is due, works
 * every run that is due and free, and returns once nothing more is due within the budget; a
 * wait continues at a later tick (or in a worker). One line per pipeline it worked on.
 */
export async function tickCommand(options: { budgetMinutes: number; heavy?: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    await migrateToLatest(app.knex);
    const report = await serve(serveDeps(app), {
      pipelines: Object.values(app.config.pipelines),
      deadline: Date.now() + options.budgetMinutes * 60_000,
      shutdown: shutdown.signal,
      limits: { ...app.tuning.limits, ...(options.heavy ? { heavy: options.heavy } : {}) },
      idleMs: TICK_IDLE_MS,
      untilIdle: true,
    });
    const failedPipelines = new Set(report.errors.map((failure) => failure.pipeline));
    let exitCode = 0;
    for (const [pipeline, outcome] of report.outcomes) {
      if (outcome.kind === 'idle' || failedPipelines.has(pipeline)) continue;
      const described = describeOutcome(pipeline, outcome);
      console.log(described.line);
      exitCode = Math.max(exitCode, described.exitCode);
    }
    // A failure nothing later made good: one line on stderr (by the CLI), exit 1.
    const failure = report.errors.at(-1);
    if (failure) throw failure.error;
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

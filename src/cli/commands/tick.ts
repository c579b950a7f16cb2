import { openApp } from '../../app/open.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { isDue } from '../../schedule/index.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork tick`, for a scheduler: per pipeline, resume an interrupted run whose lease expired,
 * else start one if its schedule says it is due, else do nothing (quietly). Bounded by a budget
 * so a Heroku Scheduler dyno ends before its next one starts.
 */
export async function tickCommand(options: { budgetMinutes: number; quiet?: boolean }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  let exitCode = 0;
  try {
    await migrateToLatest(app.knex);
    const deadline = app.clock.now() + options.budgetMinutes * 60_000;
    for (const pipeline of Object.values(app.config.pipelines)) {
      if (shutdown.signal.aborted) break;
      const [last] = await app.store.listRuns({ pipeline: pipeline.name, limit: 1 });
      const now = await app.store.now();
      const due = pipeline.schedule !== null && isDue(pipeline.schedule.cron, pipeline.schedule.timezone, last?.createdAt ?? null, now);
      const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, { start: due, deadline, shutdown: shutdown.signal });
      const described = describeOutcome(pipeline.name, outcome);
      if (outcome.kind !== 'idle') console.log(described.line);
      exitCode = Math.max(exitCode, described.exitCode);
    }
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

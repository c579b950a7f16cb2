import { openApp } from '../../app/open.js';
import { onShutdown } from '../../runner/signals.js';
import { tickPipelines } from '../../runner/tick.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork tick`, for a scheduler: per pipeline, resume an interrupted run whose lease expired,
 * else start one if its schedule says it is due, else do nothing (quietly). Bounded by a budget
 * so a Heroku Scheduler dyno ends before its next one starts; a wait continues next tick.
 */
export async function tickCommand(options: { budgetMinutes: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    await migrateToLatest(app.knex);
    const deadline = app.clock.now() + options.budgetMinutes * 60_000;
    let exitCode = 0;
    for (const { pipeline, outcome } of await tickPipelines(app, { deadline, shutdown: shutdown.signal })) {
      if (outcome.kind === 'idle') continue;
      const described = describeOutcome(pipeline, outcome);
      console.log(described.line);
      exitCode = Math.max(exitCode, described.exitCode);
    }
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

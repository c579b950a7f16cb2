import { openApp } from '../../app/open.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork run <pipeline>`: start a run now, or resume the interrupted one, and see it to its end
 * (or the budget) in the foreground. While it waits, the run is back in the control table: a
 * worker may take a step of it, and this process follows until the run ends. A run another
 * process holds when this one starts is reported as held, and left alone.
 */
export async function runCommand(name: string, options: { budgetMinutes?: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    const pipeline = app.pipeline(name);
    await migrateToLatest(app.knex);
    const deadline = options.budgetMinutes ? Date.now() + options.budgetMinutes * 60_000 : null;
    const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, { start: true, deadline, shutdown: shutdown.signal });
    const { line, exitCode } = describeOutcome(pipeline.name, outcome);
    console.log(line);
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

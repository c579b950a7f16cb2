import { openApp } from '../../app/open.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/** `refork run <pipeline>`: start a run now, or resume the interrupted one. */
export async function runCommand(name: string, options: { budgetMinutes?: number }): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    const pipeline = app.pipeline(name);
    await migrateToLatest(app.knex);
    const deadline = options.budgetMinutes ? app.clock.now() + options.budgetMinutes * 60_000 : null;
    const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, { start: true, deadline, shutdown: shutdown.signal });
    const { line, exitCode } = describeOutcome(pipeline.name, outcome);
    console.log(line);
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

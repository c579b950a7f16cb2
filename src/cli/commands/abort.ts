import { openApp } from '../../app/open.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork abort <pipeline>`: marks the active run; before promotion it compensates (destroys
 * the fork), after it finishes cleanup. If no runner holds the run, this process acts at once.
 */
export async function abortCommand(name: string): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    await migrateToLatest(app.knex);
    const pipeline = app.pipeline(name);
    const run = await app.store.requestAbort(pipeline.name);
    if (!run) {
      console.log(`${pipeline.name}: no active run to abort`);
      return 0;
    }
    const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, { start: false, deadline: null, shutdown: shutdown.signal });
    if (outcome.kind === 'busy') {
      console.log(`${pipeline.name}: abort requested for run ${run.id}; ${outcome.owner ?? 'its runner'} acts on it before its next step`);
      return 0;
    }
    const { line, exitCode } = describeOutcome(pipeline.name, outcome);
    console.log(line);
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

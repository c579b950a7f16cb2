import { openApp } from '../../app/open.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/** How long `refork abort` itself works on the run before leaving the rest to the workers. */
const ABORT_BUDGET_MS = 5 * 60_000;

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
    // Compensation rides out a Heroku outage for as long as it lasts; this command does not.
    const deadline = Date.now() + ABORT_BUDGET_MS;
    let outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, { start: false, deadline, shutdown: shutdown.signal });
    if (outcome.kind === 'idle') {
      // Another process took the run as soon as the abort made it due, and finished it.
      const ended = await app.store.getRun(run.id);
      if (ended && ended.status !== 'active')
        outcome = { kind: 'finished', runId: run.id, resumed: true, status: ended.status, error: ended.error };
    }
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

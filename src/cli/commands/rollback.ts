import { openApp } from '../../app/open.js';
import { runPipeline, startAndWork, commandTrigger } from '../../runner/run-pipeline.js';
import { onShutdown } from '../../runner/signals.js';
import { migrateToLatest } from '../../store/index.js';
import { describeOutcome } from '../outcome.js';

/**
 * `refork rollback <pipeline>`: promote the database the last refresh replaced (kept by
 * `keep_previous`) back to DATABASE, as a run of its own (docs/rollback.md), seen to its end in
 * the foreground. An interrupted rollback is resumed; while a refresh is active nothing starts.
 * What cannot work is said in one line before any run exists.
 */
export async function rollbackCommand(name: string): Promise<number> {
  const app = await openApp();
  const shutdown = onShutdown();
  try {
    const pipeline = app.pipeline(name);
    await migrateToLatest(app.knex);
    const deps = app.runnerDeps(pipeline);
    const request = { deadline: null, shutdown: shutdown.signal };
    const active = await app.store.activeRun(pipeline.name);
    if (active && active.kind !== 'rollback') {
      throw new Error(
        `${pipeline.name}: a refresh (run ${active.id}) is active in ${active.state}; roll back once it has ended (\`refork status ${pipeline.name}\`), or \`refork abort ${pipeline.name}\` it first`,
      );
    }
    // A rollback that reserved the kept database between the two reads is active now: resume it, as if seen first.
    let racing = false;
    if (!active) {
      const previous = await app.previous.current(pipeline.name);
      const now = await app.store.now();
      if (!previous) {
        const hint = pipeline.keepPreviousMs
          ? 'the next refresh keeps the database it replaces'
          : `set keep_previous (e.g. 24h) on pipeline ${pipeline.name}; refreshes from then on keep the database they replace`;
        throw new Error(`${pipeline.name}: nothing to roll back to: no previous database is kept; ${hint}`);
      }
      racing = previous.state === 'restoring';
      if (!racing && (previous.state !== 'kept' || previous.keptUntil <= now)) {
        throw new Error(
          `${pipeline.name}: the rollback window of ${previous.addonName} ended at ${previous.keptUntil.toISOString()}; it is destroyed at the next beat`,
        );
      }
    }
    let outcome =
      active || racing
        ? await runPipeline(deps, pipeline, { start: false, ...request })
        : await startAndWork(deps, pipeline, request, commandTrigger('refork rollback'), 'rollback');
    // Handed back to wait for a retry: follow it to its end, as `refork run` does.
    if (outcome.kind === 'yielded') outcome = await runPipeline(deps, pipeline, { start: false, ...request });
    const { line, exitCode } = describeOutcome(pipeline.name, outcome);
    console.log(line.replace(/ run /, ' rollback run '));
    if (outcome.kind === 'finished' && outcome.status === 'succeeded') {
      const kept = await app.previous.current(pipeline.name);
      console.log(
        kept
          ? `${pipeline.name}: DATABASE is the previous database again; ${kept.addonName} is kept under REFORK_PREVIOUS until ${kept.keptUntil.toISOString()}`
          : `${pipeline.name}: DATABASE is the previous database again; the database rolled back from is gone`,
      );
    }
    return exitCode;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

import { openApp } from '../../app/open.js';
import { costsOf, priceList } from '../../report/index.js';
import { usd } from '../../report/render.js';
import { formatDuration } from '../../status/format.js';
import { migrateToLatest } from '../../store/index.js';

/** `refork history [pipeline]`: past runs, newest first, with outcome, duration and estimated add-on cost. */
export async function historyCommand(pipeline: string | undefined, options: { json?: boolean; limit: number }): Promise<number> {
  const app = await openApp();
  try {
    await migrateToLatest(app.knex);
    if (pipeline) app.pipeline(pipeline);
    const runs = await app.store.listRuns({ ...(pipeline ? { pipeline } : {}), limit: options.limit });
    const now = await app.store.now();
    const costs = await costsOf(app.store, runs, priceList(app.config.prices));
    const rows = runs.map((run) => ({
      runId: run.id,
      pipeline: run.pipeline,
      status: run.status,
      state: run.state,
      startedAt: run.createdAt.toISOString(),
      durationMs: (run.finishedAt ?? now).getTime() - run.createdAt.getTime(),
      /** Estimated add-on cost in USD (docs/report.md#cost); null: a plan without a known price. */
      costUsd: costs.get(run.id) ?? null,
      error: run.error,
    }));
    if (options.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log('no runs yet');
    else {
      for (const r of rows) {
        const outcome = r.status === 'active' ? `active in ${r.state}` : r.status;
        console.log(
          `${r.startedAt}  ${r.pipeline}  ${r.runId}  ${outcome.padEnd(10)} ${formatDuration(r.durationMs).padStart(7)} ${usd(r.costUsd).padStart(9)}${r.error ? `  ${r.error}` : ''}`,
        );
      }
    }
    return 0;
  } finally {
    await app.close();
  }
}

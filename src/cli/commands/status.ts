import { openApp } from '../../app/open.js';
import { formatStatus } from '../../status/format.js';
import { summarizePipeline } from '../../status/summary.js';
import { migrateToLatest } from '../../store/index.js';

/** `refork status [pipeline] [--json]`: from the control tables only; no secret is ever shown. */
export async function statusCommand(name: string | undefined, options: { json?: boolean }): Promise<number> {
  const app = await openApp();
  try {
    await migrateToLatest(app.knex);
    const pipelines = name ? [app.pipeline(name)] : Object.values(app.config.pipelines);
    const summaries = [];
    for (const pipeline of pipelines) summaries.push(await summarizePipeline(app.store, pipeline.name, pipeline.schedule, app.previous));
    console.log(options.json ? JSON.stringify(summaries, null, 2) : formatStatus(summaries));
    return 0;
  } finally {
    await app.close();
  }
}

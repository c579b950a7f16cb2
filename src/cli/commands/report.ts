import { openApp } from '../../app/open.js';
import { findRun, loadReport, priceList, renderReport } from '../../report/index.js';
import { migrateToLatest } from '../../store/index.js';

/** `refork report <run|pipeline>`: the record of one refresh, from the control database. */
export async function reportCommand(runOrPipeline: string, options: { json?: boolean; markdown?: boolean }): Promise<number> {
  const app = await openApp();
  try {
    await migrateToLatest(app.knex);
    const run = await findRun(app.store, runOrPipeline);
    const report = await loadReport(app.store, run, priceList(app.config.prices));
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else process.stdout.write(renderReport(report, options.markdown ? 'markdown' : 'text'));
    return 0;
  } finally {
    await app.close();
  }
}

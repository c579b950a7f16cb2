import { openApp } from '../../app/open.js';
import { ConfigError } from '../../config/errors.js';
import { migrateToLatest } from '../../store/index.js';

/** `refork events <run>`: the run's full transition and side-effect log. */
export async function eventsCommand(runId: string, options: { json?: boolean }): Promise<number> {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new ConfigError(`"${runId}" is not a run id: take one from \`refork history\``);
  const app = await openApp();
  try {
    await migrateToLatest(app.knex);
    const run = await app.store.getRun(runId);
    if (!run) throw new ConfigError(`no run ${runId}: take one from \`refork history\``);
    const events = await app.store.runEvents(runId);
    if (options.json) console.log(JSON.stringify(events, null, 2));
    else {
      for (const e of events) {
        const move = e.from !== e.to ? `${e.from ?? '-'} → ${e.to ?? '-'}` : (e.to ?? '');
        const detail = Object.keys(e.detail).length ? `  ${JSON.stringify(e.detail)}` : '';
        console.log(`${String(e.seq).padStart(3)}  ${e.at.toISOString()}  ${e.type.padEnd(34)} ${move}${detail}`);
      }
    }
    return 0;
  } finally {
    await app.close();
  }
}

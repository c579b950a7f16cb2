// `refork report` and `history`'s cost column: a run's record read from the control database.
import { ConfigError } from '../config/errors.js';
import type { ControlStore, RunRecord } from '../store/types.js';
import { ADDON_EVENTS, addonUse, buildReport, type RunReport } from './build.js';
import type { PriceList } from './prices.js';

export { buildReport, type RunReport } from './build.js';
export { priceList, DEFAULT_MONTHLY_USD } from './prices.js';
export { renderReport, SECTIONS, type Format, type Section } from './render.js';

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run id, or a pipeline name meaning its newest run. */
export async function findRun(store: ControlStore, runOrPipeline: string): Promise<RunRecord> {
  if (RUN_ID.test(runOrPipeline)) {
    const run = await store.getRun(runOrPipeline);
    if (!run) throw new ConfigError(`no run ${runOrPipeline}: take one from \`refork history\``);
    return run;
  }
  const [latest] = await store.listRuns({ pipeline: runOrPipeline, limit: 1 });
  if (!latest)
    throw new ConfigError(`"${runOrPipeline}" is neither a run id nor a pipeline with runs: take a run id from \`refork history\``);
  return latest;
}

export async function loadReport(store: ControlStore, run: RunRecord, prices: PriceList): Promise<RunReport> {
  const [events, facts, now] = await Promise.all([store.runEvents(run.id), store.runFacts(run.id), store.now()]);
  return buildReport(run, events, facts, { now, prices });
}

/** Each run's estimated add-on cost (null: a plan without a known price), for `history`. */
export async function costsOf(store: ControlStore, runs: RunRecord[], prices: PriceList): Promise<Map<string, number | null>> {
  const [events, now] = await Promise.all([
    store.eventsOfRuns(
      runs.map((run) => run.id),
      ADDON_EVENTS,
    ),
    store.now(),
  ]);
  const costs = new Map<string, number | null>();
  for (const run of runs) {
    const uses = addonUse(run, events.get(run.id) ?? [], now, prices);
    costs.set(run.id, uses.some((u) => u.costUsd === null) ? null : uses.reduce((sum, u) => sum + (u.costUsd ?? 0), 0));
  }
  return costs;
}

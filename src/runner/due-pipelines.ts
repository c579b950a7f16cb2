// Which pipelines' schedules make a new run due now: a schedule, no active run, and a cron
// instant since the newest run started (database clock).
import type { PipelineConfig } from '../config/pipeline.js';
import { isDue } from '../schedule/index.js';
import type { ControlStore } from '../store/types.js';

export async function duePipelines(
  store: Pick<ControlStore, 'latestRuns' | 'now'>,
  pipelines: PipelineConfig[],
): Promise<PipelineConfig[]> {
  const scheduled = pipelines.filter((pipeline) => pipeline.schedule !== null);
  if (scheduled.length === 0) return [];
  const latest = new Map((await store.latestRuns(scheduled.map((p) => p.name))).map((run) => [run.pipeline, run]));
  const now = await store.now();
  return scheduled.filter((pipeline) => {
    const last = latest.get(pipeline.name);
    if (last?.status === 'active' || !pipeline.schedule) return false;
    return isDue(pipeline.schedule.cron, pipeline.schedule.timezone, last?.createdAt ?? null, now);
  });
}

// One pass over every pipeline, for `refork tick` and each beat of `refork worker`: resume an
// interrupted run whose lease is free, else start one if the schedule says it is due.
import type { App } from '../app/open.js';
import type { PipelineConfig } from '../config/pipeline.js';
import { isDue } from '../schedule/index.js';
import { runPipeline, type RunOutcome } from './run-pipeline.js';

export async function isPipelineDue(app: App, pipeline: PipelineConfig): Promise<boolean> {
  if (!pipeline.schedule) return false;
  const [last] = await app.store.listRuns({ pipeline: pipeline.name, limit: 1 });
  return isDue(pipeline.schedule.cron, pipeline.schedule.timezone, last?.createdAt ?? null, await app.store.now());
}

export async function tickPipelines(
  app: App,
  options: { deadline: number | null; shutdown: AbortSignal },
): Promise<Array<{ pipeline: string; outcome: RunOutcome }>> {
  const outcomes: Array<{ pipeline: string; outcome: RunOutcome }> = [];
  for (const pipeline of Object.values(app.config.pipelines)) {
    if (options.shutdown.aborted) break;
    const start = await isPipelineDue(app, pipeline);
    const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, {
      start,
      deadline: options.deadline,
      shutdown: options.shutdown,
    });
    outcomes.push({ pipeline: pipeline.name, outcome });
  }
  return outcomes;
}

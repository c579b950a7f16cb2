// What `refork status` shows for a pipeline, computed from the control tables only (no
// Heroku call, no secret): current or last run, time spent per step, fork, wait message,
// attempts, last error and last success.
import { nextRun } from '../schedule/index.js';
import type { ControlStore, RunEvent, RunRecord } from '../store/types.js';

export interface StepTime {
  step: string;
  enteredAt: string;
  /** Milliseconds in the step so far (until the next step, or until now for the current one). */
  elapsedMs: number;
}

export interface RunSummary {
  runId: string;
  status: RunRecord['status'];
  state: string;
  startedAt: string;
  finishedAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  fork: string | null;
  waitMessage: string | null;
  attempts: Record<string, number>;
  error: string | null;
  /** The step whose failure ended (or is retrying in) the run. */
  failedStep: string | null;
  /** Every problem the failing check found, one line each (verification, the rules against production). */
  problems: string[];
  steps: StepTime[];
}

export interface PipelineSummary {
  pipeline: string;
  current: RunSummary | null;
  last: RunSummary | null;
  lastSuccessAt: string | null;
  /** The next instant the schedule makes a run due; null without a schedule. */
  nextScheduledAt: string | null;
}

interface SnapshotContext {
  forkName?: string;
  fork?: { name?: string } | null;
  wait?: { message?: string | null };
  attempts?: Record<string, number>;
  error?: { step?: string; problems?: unknown } | null;
}

function contextOf(run: RunRecord): SnapshotContext {
  const context = (run.snapshot as { context?: unknown }).context;
  return context && typeof context === 'object' ? (context as SnapshotContext) : {};
}

export function stepTimes(run: RunRecord, events: RunEvent[], now: Date): StepTime[] {
  const steps: StepTime[] = [];
  let current: { step: string; at: Date } = { step: 'preflight', at: run.createdAt };
  for (const event of events) {
    if (!event.to || event.to === current.step) continue;
    steps.push({ step: current.step, enteredAt: current.at.toISOString(), elapsedMs: event.at.getTime() - current.at.getTime() });
    current = { step: event.to, at: event.at };
  }
  const end = run.finishedAt ?? now;
  steps.push({ step: current.step, enteredAt: current.at.toISOString(), elapsedMs: Math.max(0, end.getTime() - current.at.getTime()) });
  return steps;
}

export function summarizeRun(run: RunRecord, events: RunEvent[], now: Date): RunSummary {
  const context = contextOf(run);
  return {
    runId: run.id,
    status: run.status,
    state: run.state,
    startedAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    leaseOwner: run.status === 'active' ? run.leaseOwner : null,
    leaseExpiresAt: run.status === 'active' ? (run.leaseExpiresAt?.toISOString() ?? null) : null,
    fork: context.fork?.name ?? context.forkName ?? null,
    waitMessage: context.wait?.message ?? null,
    attempts: context.attempts ?? {},
    error: run.error,
    failedStep: context.error?.step ?? null,
    problems: Array.isArray(context.error?.problems) ? context.error.problems.filter((p): p is string => typeof p === 'string') : [],
    steps: stepTimes(run, events, now),
  };
}

export async function summarizePipeline(
  store: ControlStore,
  pipeline: string,
  schedule: { cron: string; timezone: string } | null = null,
): Promise<PipelineSummary> {
  const now = await store.now();
  const [latest] = await store.listRuns({ pipeline, limit: 1 });
  const [success] = await store.listRuns({ pipeline, status: 'succeeded', limit: 1 });
  const summary = latest ? summarizeRun(latest, await store.runEvents(latest.id), now) : null;
  return {
    pipeline,
    current: summary && latest?.status === 'active' ? summary : null,
    last: summary && latest?.status !== 'active' ? summary : null,
    lastSuccessAt: success?.finishedAt?.toISOString() ?? null,
    nextScheduledAt: schedule ? nextRun(schedule.cron, schedule.timezone, now).toISOString() : null,
  };
}

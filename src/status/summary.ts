// What `refork status` shows for a pipeline, computed from the control tables only (no
// Heroku call, no secret): current or last run, time spent per step, fork, wait message,
// attempts, what is being retried and why, last error and last success.
import { nextRun } from '../schedule/index.js';
import type { PreviousDatabase, PreviousStore } from '../store/previous.js';
import type { ControlStore, RunEvent, RunRecord } from '../store/types.js';

export interface StepTime {
  step: string;
  enteredAt: string;
  /** Milliseconds in the step so far (until the next step, or until now for the current one). */
  elapsedMs: number;
}

export interface RunSummary {
  runId: string;
  kind: RunRecord['kind'];
  status: RunRecord['status'];
  state: string;
  startedAt: string;
  finishedAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  fork: string | null;
  waitMessage: string | null;
  attempts: Record<string, number>;
  /** A step that keeps failing and is being retried: since when, how often, until when. */
  retrying: Retrying | null;
  /** When the run's next step is due (it holds no process until then); null: now or finished. */
  nextStepAt: string | null;
  error: string | null;
  /** The step whose failure ended (or is retrying in) the run. */
  failedStep: string | null;
  /** Every problem the failing check found, one line each (verification, the rules against production). */
  problems: string[];
  steps: StepTime[];
}

export interface Retrying {
  step: string;
  since: string;
  failures: number;
  /** When the step's retry window closes; null: it never does (compensation). */
  givesUpAt: string | null;
  lastError: string;
}

export interface PipelineSummary {
  pipeline: string;
  current: RunSummary | null;
  last: RunSummary | null;
  lastSuccessAt: string | null;
  /** The next instant the schedule makes a run due; null without a schedule. */
  nextScheduledAt: string | null;
  /** The database kept for `refork rollback` (docs/rollback.md); null when none is. */
  previous: PreviousSummary | null;
}

export interface PreviousSummary {
  addon: string;
  /** The app it is kept on, under REFORK_PREVIOUS. */
  app: string;
  keptSince: string;
  keptUntil: string;
  /** `kept` and inside the window: `refork rollback` can promote it back. */
  state: PreviousDatabase['state'];
  windowOpen: boolean;
  /** The run that kept it. */
  runId: string;
}

function previousSummary(previous: PreviousDatabase, now: Date): PreviousSummary {
  return {
    addon: previous.addonName,
    app: previous.targetApp,
    keptSince: previous.keptSince.toISOString(),
    keptUntil: previous.keptUntil.toISOString(),
    state: previous.state,
    windowOpen: previous.state === 'kept' && previous.keptUntil > now,
    runId: previous.runId,
  };
}

interface SnapshotContext {
  forkName?: string;
  fork?: { name?: string } | null;
  wait?: { message?: string | null };
  attempts?: Record<string, number>;
  error?: { step?: string; problems?: unknown } | null;
  failing?: { step?: string; since?: number; failures?: number; closesAt?: number | null; last?: { message?: string } } | null;
}

function retryingOf(context: SnapshotContext): Retrying | null {
  const failing = context.failing;
  if (!failing || typeof failing.step !== 'string' || typeof failing.since !== 'number') return null;
  return {
    step: failing.step,
    since: new Date(failing.since).toISOString(),
    failures: failing.failures ?? 1,
    givesUpAt: typeof failing.closesAt === 'number' ? new Date(failing.closesAt).toISOString() : null,
    lastError: failing.last?.message ?? 'unknown error',
  };
}

function contextOf(run: RunRecord): SnapshotContext {
  const context = (run.snapshot as { context?: unknown }).context;
  return context && typeof context === 'object' ? (context as SnapshotContext) : {};
}

export function stepTimes(run: RunRecord, events: RunEvent[], now: Date): StepTime[] {
  const steps: StepTime[] = [];
  // A run starts in its machine's first state (`run.started` names it): preflight, or a rollback's reserving.
  let current: { step: string; at: Date } = { step: events[0]?.to ?? 'preflight', at: run.createdAt };
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
  const held = run.status === 'active' && run.leaseExpiresAt !== null && run.leaseExpiresAt > now;
  return {
    runId: run.id,
    kind: run.kind,
    status: run.status,
    state: run.state,
    startedAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    // A run handed back between steps is held by nobody, whoever held it last.
    leaseOwner: held ? run.leaseOwner : null,
    leaseExpiresAt: held ? (run.leaseExpiresAt?.toISOString() ?? null) : null,
    fork: context.fork?.name ?? context.forkName ?? null,
    waitMessage: context.wait?.message ?? null,
    attempts: context.attempts ?? {},
    retrying: run.status === 'active' ? retryingOf(context) : null,
    nextStepAt: run.status === 'active' ? (run.notBefore?.toISOString() ?? null) : null,
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
  previousStore?: PreviousStore,
): Promise<PipelineSummary> {
  const now = await store.now();
  const [latest] = await store.listRuns({ pipeline, limit: 1 });
  const [success] = await store.listRuns({ pipeline, status: 'succeeded', limit: 1 });
  const summary = latest ? summarizeRun(latest, await store.runEvents(latest.id), now) : null;
  const previous = previousStore ? await previousStore.current(pipeline) : null;
  return {
    pipeline,
    current: summary && latest?.status === 'active' ? summary : null,
    last: summary && latest?.status !== 'active' ? summary : null,
    lastSuccessAt: success?.finishedAt?.toISOString() ?? null,
    nextScheduledAt: schedule ? nextRun(schedule.cron, schedule.timezone, now).toISOString() : null,
    previous: previous ? previousSummary(previous, now) : null,
  };
}

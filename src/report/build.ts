// The record of one refresh (`refork report`), from the control database only: the run row, its
// event log and the facts its steps stored (refork_run_facts). No Heroku call, no fork needed:
// the record outlives both. Time per step comes from the transitions, whatever the states are.
import { stepTimes, type StepTime } from '../status/summary.js';
import type { AnonymizeFacts, VerifyFacts } from '../steps/types.js';
import type { RunEvent, RunFacts, RunRecord, RunTrigger } from '../store/types.js';
import { proratedUsd, type PriceList } from './prices.js';

export interface AddonUse {
  /** `fork`: the new database, until it replaced staging's; `old database`: staging's previous one, from then until destroyed. */
  role: 'fork' | 'old database';
  name: string;
  plan: string;
  /** The plan is the pipeline's, assumed for a database refork did not create in this run. */
  planAssumed: boolean;
  from: string;
  /** Null: still billed when the report was made. */
  to: string | null;
  seconds: number;
  monthlyUsd: number | null;
  priceSource: 'config' | 'default' | 'unknown';
  /** Null when the plan has no known price. */
  costUsd: number | null;
}

export interface RunReport {
  runId: string;
  pipeline: string;
  status: RunRecord['status'];
  state: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number;
  /** Who or what asked for the run; null for runs started before refork recorded it. */
  trigger: RunTrigger | null;
  /** The process (host:pid:…) that started the run, and every process that held it. */
  startedBy: string | null;
  processes: string[];
  source: { app: string; attachment: string; addon: string | null; plan: string | null };
  fork: { name: string; app: string; plan: string; fast: boolean };
  target: { app: string; oldDatabase: string | null; oldDatabaseOutcome: string | null };
  steps: StepTime[];
  /** Failed tries per step (each retried within its window). */
  retries: Record<string, number>;
  addons: AddonUse[];
  /** Sum of the add-ons' estimated cost; null when one of them has no known price. */
  costUsd: number | null;
  error: string | null;
  /** Every problem the failing step found (verification's findings, say). */
  problems: string[];
  /** Every kind of fact the steps stored; `anonymize` and `verify` have their own sections. */
  facts: RunFacts;
}

interface Context {
  sourceApp?: string;
  sourceDatabase?: string;
  targetApp?: string;
  forkApp?: string;
  forkName?: string;
  plan?: string;
  fast?: boolean;
  source?: { name?: string } | null;
  oldDatabase?: { name?: string } | null;
  fork?: { name?: string } | null;
  attempts?: Record<string, number>;
  error?: { problems?: unknown } | null;
}

function contextOf(run: RunRecord): Context {
  const context = (run.snapshot as { context?: unknown }).context;
  return context && typeof context === 'object' ? (context as Context) : {};
}

function output(event: RunEvent | undefined): Record<string, unknown> {
  const value = event?.detail.output;
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** The effects whose successes bound the add-ons' billed time: all `addonUse` reads of the log. */
export const ADDON_EVENTS = ['createFork', 'promote', 'compensate', 'cleanup'].map((actor) => `xstate.done.actor.${actor}`);

/** The first time the run's log has an effect's success (`xstate.done.actor.<id>`). */
function done(events: RunEvent[], actor: string): RunEvent | undefined {
  return events.find((event) => event.type === `xstate.done.actor.${actor}`);
}

function triggerOf(started: RunEvent | undefined): RunTrigger | null {
  const trigger = started?.detail.trigger;
  return trigger && typeof trigger === 'object' && 'kind' in trigger ? (trigger as RunTrigger) : null;
}

function owners(events: RunEvent[]): string[] {
  const seen = new Set<string>();
  for (const event of events) {
    const owner = event.detail.owner;
    if ((event.type === 'run.started' || event.type === 'lease.acquired') && typeof owner === 'string') seen.add(owner);
  }
  return [...seen];
}

function use(
  role: AddonUse['role'],
  name: string,
  plan: string,
  planAssumed: boolean,
  from: Date,
  to: Date | null,
  now: Date,
  prices: PriceList,
): AddonUse {
  const seconds = Math.max(0, ((to ?? now).getTime() - from.getTime()) / 1000);
  const monthlyUsd = prices.monthly(plan);
  return {
    role,
    name,
    plan,
    planAssumed,
    from: from.toISOString(),
    to: to?.toISOString() ?? null,
    seconds,
    monthlyUsd,
    priceSource: prices.source(plan),
    costUsd: monthlyUsd === null ? null : proratedUsd(monthlyUsd, seconds),
  };
}

/**
 * What the refresh kept billed beyond staging's one database: the fork from its creation until it
 * became staging's (or was destroyed), then the old database until it was destroyed. A database
 * kept or left after the run is counted until now.
 */
export function addonUse(run: RunRecord, events: RunEvent[], now: Date, prices: PriceList): AddonUse[] {
  const context = contextOf(run);
  const plan = context.plan ?? 'unknown';
  const created = done(events, 'createFork');
  if (!created) return [];
  const forkName = context.fork?.name ?? context.forkName ?? 'fork';
  const promoted = done(events, 'promote');
  const compensated = done(events, 'compensate');
  const forkEnd = promoted?.at ?? (compensated && output(compensated).destroyed === true ? compensated.at : null);
  const uses = [use('fork', forkName, plan, false, created.at, forkEnd, now, prices)];
  const oldName = context.oldDatabase?.name;
  if (promoted && oldName) {
    const cleaned = done(events, 'cleanup');
    const outcome = output(cleaned).oldDatabase;
    // Detached or none: not refork's to destroy, and billed to someone else either way.
    if (outcome === 'destroyed' || outcome === 'kept' || !cleaned) {
      uses.push(use('old database', oldName, plan, true, promoted.at, outcome === 'destroyed' ? (cleaned?.at ?? null) : null, now, prices));
    }
  }
  return uses;
}

export function buildReport(run: RunRecord, events: RunEvent[], facts: RunFacts, options: { now: Date; prices: PriceList }): RunReport {
  const context = contextOf(run);
  const started = events.find((event) => event.type === 'run.started');
  const preflight = output(done(events, 'preflight'));
  const cleaned = output(done(events, 'cleanup'));
  const addons = addonUse(run, events, options.now, options.prices);
  const costs = addons.map((addon) => addon.costUsd);
  const end = run.finishedAt ?? options.now;
  const problems = context.error?.problems;
  return {
    runId: run.id,
    pipeline: run.pipeline,
    status: run.status,
    state: run.state,
    startedAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: end.getTime() - run.createdAt.getTime(),
    trigger: triggerOf(started),
    startedBy: typeof started?.detail.owner === 'string' ? started.detail.owner : null,
    processes: owners(events),
    source: {
      app: context.sourceApp ?? '',
      attachment: context.sourceDatabase ?? 'DATABASE',
      addon: context.source?.name ?? null,
      plan: typeof preflight.sourcePlan === 'string' ? preflight.sourcePlan : null,
    },
    fork: {
      name: context.fork?.name ?? context.forkName ?? '',
      app: context.forkApp ?? context.targetApp ?? '',
      plan: context.plan ?? '',
      fast: context.fast === true,
    },
    target: {
      app: context.targetApp ?? '',
      oldDatabase: context.oldDatabase?.name ?? null,
      oldDatabaseOutcome: typeof cleaned.oldDatabase === 'string' ? cleaned.oldDatabase : null,
    },
    steps: stepTimes(run, events, options.now),
    retries: context.attempts ?? {},
    addons,
    costUsd: costs.includes(null) ? null : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    error: run.error,
    problems: Array.isArray(problems) ? problems.filter((problem): problem is string => typeof problem === 'string') : [],
    facts,
  };
}

/** The anonymize step's facts, when the run got that far. */
export function anonymizeFactsOf(report: RunReport): AnonymizeFacts | null {
  const facts = report.facts.anonymize;
  return facts && Array.isArray(facts.tables) ? (facts as unknown as AnonymizeFacts) : null;
}

export function verifyFactsOf(report: RunReport): VerifyFacts | null {
  const facts = report.facts.verify;
  return facts && Array.isArray(facts.gates) ? (facts as unknown as VerifyFacts) : null;
}

import type { Logger } from '../log/logger.js';

// Inputs and outputs of the pipeline's side effects. Each is JSON: inputs are persisted in the
// run's snapshot before the effect starts, outputs feed the next transition.

export interface AddonRef {
  id: string;
  name: string;
  /** The billing (owner) app. Only an add-on owned by the target app may ever be destroyed. */
  app: string;
}

export interface PreflightInput {
  sourceApp: string;
  sourceDatabase: string;
  targetApp: string;
  /** Where the fork will live until it is promoted (the target itself when no fork app is set). */
  forkApp: string;
}
export interface PreflightOutput {
  source: AddonRef;
  /** The target's DATABASE before the refresh; null when the target has none. */
  oldDatabase: AddonRef | null;
  /** The fork's disk against the source's data and masking's peak, when the pipeline's plan is known. */
  disk?: DiskCheck;
  /** The source's plan, e.g. `heroku-postgresql:standard-0` (for the run's record). */
  sourcePlan?: string;
}

/** Sizes in bytes; `warning` when something does not fit or could not be checked (the run still goes ahead). */
export interface DiskCheck {
  storageBytes?: number;
  sourceBytes?: number;
  /** Masking's peak on the fast paths. */
  peakBytes?: number;
  /** What the fork leaves for masking (its budget when one is set). */
  roomBytes?: number;
  warning?: string;
}

export interface CreateForkInput {
  /** The fork app: the fork is created, and billed, there. */
  app: string;
  name: string;
  attachmentName: string;
  plan: string;
  /** Source add-on name: pins the exact database, unlike APP::DATABASE_URL. */
  forkFrom: string;
  fast: boolean;
}
export interface CreateForkOutput {
  id: string;
  name: string;
}

export interface WaitForForkInput {
  app: string;
  forkId: string;
  polls: number;
  notFound: number;
  /** Epoch ms of the first poll; null before it. */
  startedAt: number | null;
  maxWaitMinutes: number;
}
export interface WaitForForkOutput {
  available: boolean;
  message: string;
  notFound: number;
  observedAt: number;
  /** Epoch ms before which the next poll must not start. */
  nextPollAt: number;
}

export interface AnonymizeInput {
  /** The fork app, whose config var `<attachmentName>_URL` holds the fork's URL. */
  app: string;
  forkId: string;
  attachmentName: string;
  runId: string;
}
export interface AnonymizeOutput {
  tables: number;
  rows: number;
  skipped: number;
  /** For the run's record; the runner stores it apart from the event log. */
  facts?: { anonymize: AnonymizeFacts };
}

/** What masking did, table by table, as the fork's ledger and the rules say it (no value, no key). */
export interface AnonymizeFacts {
  /** `sha256:` of the rules as parsed (keys sorted, YAML locations left out): the same rules, the same digest. */
  rulesDigest: string;
  tables: TableRecord[];
}

export interface TableRecord {
  /** `schema.table`. */
  table: string;
  /** What the rules do with the table; `none`: no rule of its own (a materialized view refreshed, a partition under its parent's). */
  rule: 'columns' | 'truncate' | 'safe' | 'none';
  /** The YAML key of the rule (`pipelines.x.anonymize.tables.customers`). */
  ruleKey?: string;
  /** Rows masked (or, truncated, the planner's estimate of those removed); null: not in this run's ledger. */
  rows: number | null;
  /** How the engine wrote them (`update`, `rewrite`, `batched`, `truncate`, `refresh`). */
  method?: string;
  columns?: ColumnRecord[];
}

export interface ColumnRecord {
  column: string;
  /** The strategy's name (`hash`, `email`, `safe`, …). */
  strategy: string;
  /** What it does, in words. */
  how: string;
  ruleKey: string;
}

export type FixUpInput = AnonymizeInput;
/** What each fix-up did (docs/fixups.md): digests and counts, never statement text (it may hold a password). */
export interface FixUpOutput {
  statements: Array<{
    ordinal: number;
    digest: string;
    /** Rows the statement reported; null for one that reports none (DDL). */
    rows: number | null;
    /** Tables it wrote rows of, e.g. `public.users`. */
    tables: string[];
    /** Applied by an earlier attempt of this run, found in the fork's ledger. */
    resumed: boolean;
  }>;
}

export type VerifyInput = AnonymizeInput;
export interface VerifyOutput {
  checks: number;
  facts?: { verify: VerifyFacts };
}

/** Each gate that ran on the fork before promotion and what it found (counts only: never a value). */
export interface VerifyFacts {
  gates: Array<{ name: string; ok: boolean; problems: number; error?: string }>;
}

export interface PromoteInput {
  app: string;
  fork: CreateForkOutput;
  oldDatabase: AddonRef | null;
}
export interface PromoteOutput {
  promoted: true;
  /** The app's release phase failed against the new database: keep the old one for rollback. */
  releaseFailure: string | null;
}

/** Maintenance mode around the swap (docs/maintenance.md). */
export interface EnterMaintenanceInput {
  /** The target app. */
  app: string;
  /**
   * Whether the target was already in maintenance when refork first looked; null before it
   * looked. Looking and setting are two steps, each persisted, so a resumed run never takes a
   * maintenance it turned on itself for a window of the user's own.
   */
  found: boolean | null;
}
export interface EnterMaintenanceOutput {
  found: boolean;
  /** False after the first step (refork only looked); true once the target is in maintenance. */
  on: boolean;
  /** Epoch ms of the look, or of the confirmed change. */
  at: number;
}
export interface LeaveMaintenanceInput {
  app: string;
}
export interface LeaveMaintenanceOutput {
  on: false;
  /** Epoch ms when Heroku confirmed the target out of maintenance. */
  at: number;
}

export interface CleanupInput {
  /** The target app. */
  app: string;
  forkApp: string;
  fork: CreateForkOutput;
  attachmentName: string;
  oldDatabase: AddonRef | null;
  /** After a failed release phase the old database stays, under its alias, for a rollback. */
  keepOldDatabase: boolean;
  /**
   * `keep_previous`: the old database is kept as the pipeline's previous database for this
   * long (docs/rollback.md). Absent in runs saved before the rollback window, and when unset.
   */
  keepPrevious?: KeepPrevious;
}
export interface CleanupOutput {
  oldDatabase: 'destroyed' | 'detached' | 'kept' | 'none';
  /** When it was kept as the previous database: until when (ISO), and the previous one it replaced. */
  previous?: { addon: string; keptUntil: string; replaced: string | null };
}

export interface KeepPrevious {
  pipeline: string;
  runId: string;
  windowMs: number;
}

export interface ReservePreviousInput {
  /** The target app. */
  app: string;
  pipeline: string;
  runId: string;
}
export interface ReservePreviousOutput {
  /** The kept previous database, now held by this rollback. */
  previous: AddonRef;
  /** The target's DATABASE now: the database rolled back from. */
  current: AddonRef;
}

export interface CleanupRollbackInput {
  app: string;
  forkApp: string;
  pipeline: string;
  runId: string;
  /** The database promoted back (DATABASE now). */
  previous: AddonRef;
  /** The database rolled back from. */
  current: AddonRef;
  /** Keep the database rolled back from as the new previous for this long; null: destroy it. */
  keepPreviousMs: number | null;
  /** The release phase failed on the restored database: keep the other one whatever the config says. */
  releaseFailed: boolean;
}
export interface CleanupRollbackOutput {
  rolledBackFrom: 'kept' | 'destroyed' | 'detached' | 'left';
  keptUntil?: string;
}

export interface ReleaseRollbackInput {
  app: string;
  pipeline: string;
  runId: string;
  /** The previous database, when the rollback had reserved it. */
  previous: AddonRef | null;
  /** The promotion had started: DATABASE may be the previous database already. */
  promotionStarted: boolean;
}
export interface ReleaseRollbackOutput {
  /** The previous database already is DATABASE: roll forward to cleaning. */
  promoted: boolean;
}

export interface CompensateInput {
  /** The target app (whose DATABASE may already be the fork). */
  app: string;
  /** Where the fork was created. */
  forkApp: string;
  forkName: string;
}
export interface CompensateOutput {
  /** The fork turned out to be the target's DATABASE: roll forward instead. */
  promoted: boolean;
  destroyed: boolean;
}

/** What an effect failure looks like once it is in the snapshot: plain JSON, redacted. */
export interface StepFailure {
  step: string;
  message: string;
  /** Heroku error id or refork's own code. */
  code: string;
  /** A transient failure: the machine may try the step again. */
  retryable: boolean;
  /** Epoch ms when the failure was observed (the machine derives the retry time from it). */
  at: number;
  /** Every problem a check found, one line each, when it found several (the message shows the first). */
  problems?: string[];
}

/** Per call: the abort signal (shutdown, lost lease) and a logger that carries the run id. */
export interface StepContext {
  signal: AbortSignal;
  logger: Logger;
}

/** The refresh's effects, keyed by the machine's actor names. */
export interface RefreshEffects {
  preflight(input: PreflightInput, ctx: StepContext): Promise<PreflightOutput>;
  createFork(input: CreateForkInput, ctx: StepContext): Promise<CreateForkOutput>;
  waitForFork(input: WaitForForkInput, ctx: StepContext): Promise<WaitForForkOutput>;
  anonymize(input: AnonymizeInput, ctx: StepContext): Promise<AnonymizeOutput>;
  fixUp(input: FixUpInput, ctx: StepContext): Promise<FixUpOutput>;
  verify(input: VerifyInput, ctx: StepContext): Promise<VerifyOutput>;
  enterMaintenance(input: EnterMaintenanceInput, ctx: StepContext): Promise<EnterMaintenanceOutput>;
  promote(input: PromoteInput, ctx: StepContext): Promise<PromoteOutput>;
  leaveMaintenance(input: LeaveMaintenanceInput, ctx: StepContext): Promise<LeaveMaintenanceOutput>;
  cleanup(input: CleanupInput, ctx: StepContext): Promise<CleanupOutput>;
  compensate(input: CompensateInput, ctx: StepContext): Promise<CompensateOutput>;
}

/** A rollback's own effects (it promotes with the refresh's `promote`). */
export interface RollbackEffects {
  reservePrevious(input: ReservePreviousInput, ctx: StepContext): Promise<ReservePreviousOutput>;
  cleanupRollback(input: CleanupRollbackInput, ctx: StepContext): Promise<CleanupRollbackOutput>;
  releaseRollback(input: ReleaseRollbackInput, ctx: StepContext): Promise<ReleaseRollbackOutput>;
}

/** Every effect a run of any kind may have pending, by name. */
export type Effects = RefreshEffects & RollbackEffects;

export type EffectName = keyof Effects;

/** A failure that no retry will fix (bad input, verification failed, fork failed). */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable = false,
    /** Every problem a check found, kept whole in the run's events and `status --json`. */
    readonly problems?: string[],
    /** What the step learned before it failed, for the run's record (a failed verification's gate by gate). */
    readonly facts?: { verify: VerifyFacts },
  ) {
    super(message);
  }
}

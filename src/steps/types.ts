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

export interface CleanupInput {
  /** The target app. */
  app: string;
  forkApp: string;
  fork: CreateForkOutput;
  attachmentName: string;
  oldDatabase: AddonRef | null;
  /** After a failed release phase the old database stays, under its alias, for a rollback. */
  keepOldDatabase: boolean;
}
export interface CleanupOutput {
  oldDatabase: 'destroyed' | 'detached' | 'kept' | 'none';
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

/** The pipeline's effects, keyed by the machine's actor names. */
export interface Effects {
  preflight(input: PreflightInput, ctx: StepContext): Promise<PreflightOutput>;
  createFork(input: CreateForkInput, ctx: StepContext): Promise<CreateForkOutput>;
  waitForFork(input: WaitForForkInput, ctx: StepContext): Promise<WaitForForkOutput>;
  anonymize(input: AnonymizeInput, ctx: StepContext): Promise<AnonymizeOutput>;
  fixUp(input: FixUpInput, ctx: StepContext): Promise<FixUpOutput>;
  verify(input: VerifyInput, ctx: StepContext): Promise<VerifyOutput>;
  promote(input: PromoteInput, ctx: StepContext): Promise<PromoteOutput>;
  cleanup(input: CleanupInput, ctx: StepContext): Promise<CleanupOutput>;
  compensate(input: CompensateInput, ctx: StepContext): Promise<CompensateOutput>;
}

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
  ) {
    super(message);
  }
}

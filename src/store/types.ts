// The control store in the runner's words: runs, leases, fenced transitions, events.
// Backed by the `refork_runs` and `refork_run_events` tables (migrations/).

export type RunStatus = 'active' | 'succeeded' | 'failed' | 'aborted';

/** A refresh, or a rollback that promotes the kept previous database back (docs/rollback.md). */
export type RunKind = 'refresh' | 'rollback';

/** A persisted xstate snapshot (from `machine.getPersistedSnapshot`), JSON as stored in jsonb. */
export type PersistedSnapshot = Record<string, unknown>;

export interface RunRecord {
  id: string;
  pipeline: string;
  kind: RunKind;
  status: RunStatus;
  /** The machine's state value as a string, e.g. `waiting`. */
  state: string;
  snapshot: PersistedSnapshot;
  machineVersion: number;
  leaseOwner: string | null;
  leaseToken: number;
  leaseExpiresAt: Date | null;
  abortRequestedAt: Date | null;
  /** When the run is next due (database clock); null: due now. */
  notBefore: Date | null;
  /** Last error, already redacted, with the step it happened in. */
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Proof of ownership of a run: every write carries the token and fails once it is stale. */
export interface Lease {
  runId: string;
  owner: string;
  token: number;
  /** Database-clock expiry at the time of the last acquire or renewal. */
  expiresAt: Date;
}

export interface RunEvent {
  runId: string;
  seq: number;
  from: string | null;
  to: string | null;
  /** Event type (`xstate.done.actor.fork`, `ABORT`, `lease.acquired`, `effect.started`, …). */
  type: string;
  detail: Record<string, unknown>;
  at: Date;
}

export interface NewRun {
  id: string;
  pipeline: string;
  /** Default: a refresh. */
  kind?: RunKind;
  state: string;
  snapshot: PersistedSnapshot;
  machineVersion: number;
  owner: string;
  leaseTtlMs: number;
  /** Who or what asked for the run; kept in its `run.started` event for its record. */
  trigger?: RunTrigger;
}

/** Why a run exists: a pipeline's schedule (seen by a tick or a worker), or a command someone ran. */
export type RunTrigger =
  | { kind: 'schedule'; cron: string; timezone: string; by: 'tick' | 'worker'; user?: string }
  | { kind: 'command'; command: string; user?: string };

/**
 * What a step learned for the run's record, by kind (`anonymize`, `verify`, …), each a JSON
 * document kept apart from the event log (it may hold a row per table). Never a secret.
 */
export type RunFacts = Record<string, Record<string, unknown>>;

export interface Transition {
  state: string;
  status: RunStatus;
  snapshot: PersistedSnapshot;
  error?: string | null;
  /** Milliseconds (wall clock) from now until the run is next due; null or absent: due now. */
  dueInMs?: number | null;
  event: { type: string; from: string | null; to: string | null; detail?: Record<string, unknown> };
  /** Facts the step that ended learned; each kind replaces what an earlier try of it recorded. */
  facts?: RunFacts;
}

/** What a run tells the webhook: how it ended, or (once) that it is stuck. */
export type NoticeKind = 'succeeded' | 'failed' | 'aborted' | 'stuck';

export interface NewNotice {
  runId: string;
  kind: NoticeKind;
  state: string;
  /** Absent: the run's own error column. */
  error?: string | null;
}

/** A recorded notice not yet delivered, taken by this process for a while to send it. */
export interface OwedNotice {
  /** Stable across attempts: a receiver that sees it twice has the same notice twice. */
  id: string;
  runId: string;
  pipeline: string;
  kind: NoticeKind;
  state: string;
  error: string | null;
  /** From the run's start to its end, or to when the notice was recorded. */
  elapsedMs: number;
  /** Including the one under way. */
  attempts: number;
  /** Since it was recorded, on the database clock. */
  ageMs: number;
}

export type NoticeSettlement = { delivered: true } | { delivered: false; retryInMs: number } | { delivered: false; giveUp: true };

export interface ClaimDueRequest {
  owner: string;
  leaseTtlMs: number;
  /** Only runs of these pipelines (the ones this process has the configuration of). */
  pipelines: string[];
  /** Only runs in these states, or only runs in none of them. */
  states: { only: 'these' | 'others'; names: readonly string[] };
  limit: number;
}

export interface ClaimedRun {
  run: RunRecord;
  lease: Lease;
  /** Who held the lease before this claim (null: nobody yet). */
  previousOwner: string | null;
}

/** A pipeline's newest run, for deciding whether its schedule makes a new one due. */
export interface LatestRun {
  pipeline: string;
  status: RunStatus;
  createdAt: Date;
}

export type StartRunResult =
  | { started: true; run: RunRecord; lease: Lease }
  /** Another run of this pipeline is already active (partial unique index). */
  | { started: false; active: RunRecord };

export interface ControlStore {
  /** Inserts a new active run and takes its lease, atomically; refuses when one is active. */
  startRun(run: NewRun): Promise<StartRunResult>;
  /** Takes the lease of an active run that is due and whose lease is free or expired (DB clock); token grows by one. */
  claimRun(runId: string, owner: string, leaseTtlMs: number): Promise<Lease | null>;
  /** Takes the leases of up to `limit` runs that are due and free; several processes never get the same one. */
  claimDue(request: ClaimDueRequest): Promise<ClaimedRun[]>;
  /** Extends the lease; `null` when it was lost (token moved on, run finished). */
  renewLease(lease: Lease, leaseTtlMs: number): Promise<Lease | null>;
  /** Writes snapshot + state + status and appends one event row, in one transaction, fenced by the token. */
  saveTransition(lease: Lease, transition: Transition): Promise<boolean>;
  /** Appends an event row (effect started/finished, wait message, …), fenced by the token. */
  appendEvent(lease: Lease, event: Omit<RunEvent, 'runId' | 'seq' | 'at'>): Promise<boolean>;
  /** Gives the lease up (expiry = now) so the next tick can resume at once. */
  releaseLease(lease: Lease): Promise<void>;

  activeRun(pipeline: string): Promise<RunRecord | null>;
  /**
   * Wall-clock ms until the soonest active run of these pipelines may be claimed (0: now); null
   * without one. Held runs count at their lease expiry unless `includeLeased` is false.
   */
  nextDueInMs(pipelines: string[], options?: { includeLeased: boolean }): Promise<number | null>;
  /** Each pipeline's newest run. */
  latestRuns(pipelines: string[]): Promise<LatestRun[]>;
  /** Records a notice the run owes unless one of its kind already is; `true` when this call did. */
  recordNotice(notice: NewNotice): Promise<boolean>;
  /** Takes owed notices that are due (of one run, or any) for `holdMs`, so no other process sends them meanwhile. */
  takeOwedNotices(request: { runId?: string; limit: number; holdMs: number }): Promise<OwedNotice[]>;
  settleNotice(id: string, settlement: NoticeSettlement): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Newest first. */
  listRuns(filter?: { pipeline?: string; status?: RunStatus; limit?: number }): Promise<RunRecord[]>;
  runEvents(runId: string): Promise<RunEvent[]>;
  /** The events of several runs (for `history`), each run's in order; only those of `types` when given. */
  eventsOfRuns(runIds: string[], types?: string[]): Promise<Map<string, RunEvent[]>>;
  /** The facts the run's steps recorded, by kind. */
  runFacts(runId: string): Promise<RunFacts>;
  /** Marks the active run of a pipeline for abort; the lease holder acts on it. Returns the run or null. */
  requestAbort(pipeline: string): Promise<RunRecord | null>;
  /** Database clock, so lease decisions never depend on this host's clock. */
  now(): Promise<Date>;
  close(): Promise<void>;
}

// Runs a plan against the fork: one transaction per table (all truncated tables in one), each
// writing its ledger row before it commits, so a run resumed with the same run id skips what is
// done and never applies a pseudonym twice.
import type pg from 'pg';
import { loadCatalog, type Catalog, type TableInfo } from './catalog.js';
import { canStageInParallel, createStage, dropLeftoverStages, fillStage } from './stage.js';
import { listMaterializedViews, refreshMaterializedView, type MaterializedView } from './views.js';
import {
  completedTables,
  ensureLedger,
  isCompleted,
  pendingKeys,
  recordCompletion,
  recordPendingKeys,
  settlePendingKey,
} from './ledger.js';
import { analyzeMasked } from './analyze.js';
import { maskInStripes } from './batched.js';
import {
  chooseWithinBudget,
  databaseBytes,
  DiskBudgetError,
  loadTableSizes,
  maskingRoom,
  type DiskChoice,
  type TableSizes,
} from './disk.js';
import { buildPlan, type Plan, type TableStep } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import { sampleOriginals } from './residual.js';
import {
  chooseMethod,
  raiseRebuildMemory,
  rebuildsIndexes,
  rewriteTable,
  updateWithoutIndexes,
  type Method,
  type PendingKey,
} from './rewrite.js';
import { RulesError, type AnonymizeRules } from './rules.js';
import { backendPid, messageOf, prepareSession, scrub } from './session.js';
import { disableUserTriggers, restoreTriggers } from './triggers.js';

export interface AnonymizeProgress {
  table: string;
  state: 'started' | 'done' | 'skipped';
  rows?: number;
  elapsedMs?: number;
  /** On 'started': the catalog's row estimate for this table. */
  estimatedRows?: number;
  /** Tables finished or skipped so far, of all the plan holds. */
  finished: number;
  total: number;
  /** Time left for the remaining tables at the rows-per-second seen so far (once there is a rate). */
  etaMs?: number;
}

export interface AnonymizeOptions {
  /** Opens a fresh connection to the fork each time it is called. */
  connect: () => Promise<pg.Client>;
  rules: AnonymizeRules;
  runId: string;
  /** HMAC key: only ever sent as a bind parameter. */
  key: string;
  signal?: AbortSignal;
  onProgress?: (progress: AnonymizeProgress) => void;
  /** Sessions that compute a big table's masks in parallel (default 2); 1 disables it. */
  parallelism?: number;
  /**
   * The disk masking may use (docs/disk.md): `budgetBytes` of extra disk at any moment over what
   * the database held when masking started, or, without it, the fork plan's `storageBytes` less a
   * reserve. Each table's method is chosen so its peak fits. Unset: no limit (the fastest paths).
   */
  disk?: { budgetBytes?: number; storageBytes?: number };
}

export interface TableOutcome {
  table: string;
  rows: number;
  skipped: boolean;
  elapsedMs: number;
  /** How the table was masked, when it was (the method the disk allowed). */
  method?: DiskChoice['method'];
}

export interface AnonymizeResult {
  tables: TableOutcome[];
}

/** A failure while masking, naming the table (and columns) it happened in; never carries the key. */
export class AnonymizeError extends Error {
  override name = 'AnonymizeError';
  constructor(
    message: string,
    readonly table?: string,
    /** The SQLSTATE of the database error underneath, so a runner can tell a lost session from a broken rule. */
    readonly code?: string,
  ) {
    super(message);
  }
}

function sqlstateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export async function anonymizeDatabase(options: AnonymizeOptions): Promise<AnonymizeResult> {
  if (options.key.length === 0) throw new AnonymizeError('the anonymization key is empty; set it in the environment before running');
  options.signal?.throwIfAborted();
  let client: pg.Client | undefined;
  let stopCancel = async () => {};
  try {
    client = await options.connect();
    stopCancel = cancelOnAbort(options, client);
    await prepareSession(client);
    await ensureLedger(client);
    const catalog = await loadCatalog(client);
    const plan = buildPlan(options.rules, catalog, { key: options.key });
    await dropLeftoverStages(client);
    const limit = await diskLimit(client, options);
    const disk = limit === undefined ? undefined : { limit, sizes: await loadTableSizes(client) };
    return await executePlan(client, plan, { catalog, ...(disk ? { disk } : {}) }, options);
  } catch (error) {
    if (error instanceof RulesError || error instanceof AnonymizeError) {
      error.message = scrub(error.message, options.key);
      throw error;
    }
    throw new AnonymizeError(`anonymization failed: ${scrub(messageOf(error), options.key)}`, undefined, sqlstateOf(error));
  } finally {
    await stopCancel();
    await client?.end().catch(() => {});
  }
}

interface Schema {
  catalog: Catalog;
  /** The database size masking must stay under, and each table's size (read once, up front), when the disk is limited. */
  disk?: { limit: number; sizes: Map<string, TableSizes> };
}

/** Sessions that compute a big table's masks at once; the database's cores are the limit. */
const DEFAULT_PARALLELISM = 2;

async function executePlan(client: pg.Client, plan: Plan, schema: Schema, options: AnonymizeOptions): Promise<AnonymizeResult> {
  const outcomes: TableOutcome[] = [];
  const done = await completedTables(client, options.runId);
  const progress = progressTracker(plan, done);
  const report = (outcome: TableOutcome) => {
    outcomes.push(outcome);
    progress.finish(outcome);
    options.onProgress?.(
      outcome.skipped
        ? { table: outcome.table, state: 'skipped', ...progress.position() }
        : { table: outcome.table, state: 'done', rows: outcome.rows, elapsedMs: outcome.elapsedMs, ...progress.position() },
    );
  };
  const started = (table: string, estimatedRows?: number) =>
    options.onProgress?.({ table, state: 'started', estimatedRows, ...progress.position() });

  const truncates = plan.truncates.filter((step) => !done.has(step.display));
  for (const step of plan.truncates) if (done.has(step.display)) report({ table: step.display, rows: 0, skipped: true, elapsedMs: 0 });
  if (truncates.length > 0) {
    checkAborted(options, truncates[0]?.display ?? '');
    for (const step of truncates) started(step.display, step.estimatedRows);
    for (const outcome of await runTruncates(client, truncates, options)) report(outcome);
  }

  for (const step of plan.updates) {
    if (done.has(step.display)) {
      report({ table: step.display, rows: 0, skipped: true, elapsedMs: 0 });
      continue;
    }
    checkAborted(options, step.display);
    started(step.display, step.estimatedRows);
    report(await maskTable(client, step, schema, options));
  }
  await validatePendingKeys(client, options);

  // Materialized views still hold what they computed from the originals until refreshed.
  for (const view of await listMaterializedViews(client)) {
    if (done.has(view.display)) {
      report({ table: view.display, rows: 0, skipped: true, elapsedMs: 0 });
      continue;
    }
    checkAborted(options, view.display);
    started(view.display);
    report(await refreshView(client, view, options));
  }
  return { tables: outcomes };
}

/**
 * Counts finished tables and estimates the time left from the masking rate so far (rows per
 * millisecond over the tables this process masked), using the catalog's row estimates.
 */
function progressTracker(plan: Plan, done: Set<string>) {
  const estimates = new Map<string, number>([...plan.truncates, ...plan.updates].map((step) => [step.display, step.estimatedRows]));
  const total = estimates.size;
  let finished = 0;
  let remainingRows = [...plan.updates].filter((step) => !done.has(step.display)).reduce((sum, step) => sum + step.estimatedRows, 0);
  let maskedRows = 0;
  let maskingMs = 0;
  return {
    finish(outcome: TableOutcome) {
      finished++;
      if (outcome.skipped || !plan.updates.some((step) => step.display === outcome.table)) return;
      remainingRows = Math.max(0, remainingRows - (estimates.get(outcome.table) ?? 0));
      maskedRows += outcome.rows;
      maskingMs += outcome.elapsedMs;
    },
    position(): { finished: number; total: number; etaMs?: number } {
      const rate = maskingMs > 0 && maskedRows > 0 ? maskedRows / maskingMs : undefined;
      return { finished: Math.min(finished, total), total, ...(rate ? { etaMs: Math.round(remainingRows / rate) } : {}) };
    },
  };
}

async function refreshView(client: pg.Client, view: MaterializedView, options: AnonymizeOptions): Promise<TableOutcome> {
  const started = performance.now();
  return inTransaction(client, `refreshing materialized view ${view.display}`, view.display, options, async () => {
    const rows = await refreshMaterializedView(client, view);
    await recordCompletion(client, view.display, options.runId, rows);
    return { table: view.display, rows, skipped: false, elapsedMs: Math.round(performance.now() - started) };
  });
}

/**
 * Validates, each in its own transaction with its ledger row, every foreign key a rewrite re-added
 * NOT VALID: one check per key once both its tables are masked, not one per rewrite of either.
 * Left by any run (a resumed run finishes what a killed one began).
 */
async function validatePendingKeys(client: pg.Client, options: AnonymizeOptions): Promise<void> {
  for (const key of await pendingKeys(client)) {
    const what = `foreign key ${quoteIdent(key.name)} of ${key.table}`;
    checkAborted(options, what);
    await inTransaction(client, `(validating ${what})`, key.table, options, async () => {
      await raiseRebuildMemory(client);
      await client.query(`ALTER TABLE ${key.table} VALIDATE CONSTRAINT ${quoteIdent(key.name)}`);
      await settlePendingKey(client, key);
    });
  }
}

function checkAborted(options: AnonymizeOptions, before: string): void {
  if (options.signal?.aborted) throw new AnonymizeError(`anonymization aborted before ${before}; resume with the same run id`, before);
}

/** The database size masking must stay under: its size now plus the room it may use (none: no limit). */
async function diskLimit(client: pg.Client, options: AnonymizeOptions): Promise<number | undefined> {
  if (!options.disk) return undefined;
  const now = await databaseBytes(client);
  const room = maskingRoom(options.disk, now);
  return room === undefined ? undefined : now + room;
}

/** Masks one table by the method its peak allows: the normal path, or stripes when the disk is short. */
async function maskTable(
  client: pg.Client,
  step: Extract<TableStep, { kind: 'update' }>,
  schema: Schema,
  options: AnonymizeOptions,
): Promise<TableOutcome> {
  const table = schema.catalog.find(step.table);
  if (!table) throw new AnonymizeError(`${step.display} disappeared from the catalog while masking`, step.display);
  if (!schema.disk) return runUpdate(client, step, table, chooseMethod(table, step).method, options);
  const sizes = schema.disk.sizes.get(step.display) ?? { heap: 0, toast: 0, indexes: 0 };
  const available = schema.disk.limit - (await databaseBytes(client));
  let choice;
  try {
    choice = chooseWithinBudget(step, table, sizes, available);
  } catch (error) {
    if (error instanceof DiskBudgetError) throw new AnonymizeError(error.message, step.display);
    throw error;
  }
  if (choice.method !== 'batched') return runUpdate(client, step, table, choice.method, options);
  const started = performance.now();
  const what = `${step.display} (in ${choice.batch.stripes} stripes)`;
  const outcome = await maskInStripes({
    client,
    step,
    table,
    batch: choice.batch,
    runId: options.runId,
    key: options.key,
    inTransaction: (work) => inTransaction(client, what, step.display, options, work),
    checkAborted: () => checkAborted(options, step.display),
  });
  if (outcome.skipped) return { table: step.display, rows: 0, skipped: true, elapsedMs: 0 };
  return { table: step.display, rows: outcome.rows, skipped: false, elapsedMs: Math.round(performance.now() - started), method: 'batched' };
}

async function runUpdate(
  client: pg.Client,
  step: Extract<TableStep, { kind: 'update' }>,
  table: TableInfo,
  method: Method,
  options: AnonymizeOptions,
): Promise<TableOutcome> {
  const started = performance.now();
  const what = `${step.display} (columns ${step.columns.map((column) => quoteIdent(column.column)).join(', ')})`;
  const sessions = options.parallelism ?? DEFAULT_PARALLELISM;
  // A big rewritten table's masks are computed by several sessions into a stage created here
  // (committed, so they see it) and filled once the table is locked.
  const parallel = method === 'rewrite' && canStageInParallel(table, sessions);
  const stageTable = parallel ? await createStage(client, step, table) : undefined;
  const dropStage = async () => {
    if (stageTable) await client.query(`DROP TABLE IF EXISTS ${stageTable}`);
  };
  try {
    return await inTransaction(client, what, step.display, options, async () => {
      // The lock serializes with any other session masking this table and keeps writers out while
      // the stage is filled; the ledger is read after it.
      await client.query(`LOCK TABLE ${quoteTable(step.table)} IN SHARE ROW EXCLUSIVE MODE`);
      if (await isCompleted(client, step.display, options.runId)) {
        await dropStage();
        return { table: step.display, rows: 0, skipped: true, elapsedMs: 0 };
      }
      const stage = stageTable
        ? {
            name: stageTable,
            rows: await fillStage(client, options.connect, stageTable, step, table, sessions).catch((error: unknown) => {
              // Said where it happened; the error keeps its SQLSTATE, so a lost session is retried.
              if (error instanceof Error) error.message = `${error.message} (while computing masks in parallel sessions)`;
              throw error;
            }),
          }
        : undefined;
      const triggers = await disableUserTriggers(client, step.table, new Set(step.recompute.map((trigger) => trigger.name)));
      const probe = await sampleOriginals(client, step, table, options.key);
      const { rows, pending, ...how } = await maskRows(client, step, table, method, options, stage);
      await recordPendingKeys(client, pending, options.runId);
      const residual = await probe.check();
      await restoreTriggers(client, triggers);
      // Until ANALYZE, pg_stats still shows original values (most common values, histogram bounds)
      // to anyone who can read the table; in the same transaction, "done" always means "analyzed".
      await analyzeMasked(client, step, table);
      await recordCompletion(client, step.display, options.runId, rows, { ...how, residual: residual.columns });
      return { table: step.display, rows, skipped: false, elapsedMs: Math.round(performance.now() - started), method: how.method };
    });
  } finally {
    // Dropped with the swap when it committed; a rolled-back attempt leaves it to drop here.
    await dropStage().catch(() => {});
  }
}

/**
 * Masks the rows by the method the cost model picked; a rewrite (or an UPDATE with its indexes
 * rebuilt) that cannot be done falls back to a plain UPDATE.
 */
async function maskRows(
  client: pg.Client,
  step: Extract<TableStep, { kind: 'update' }>,
  table: TableInfo,
  method: Method,
  options: AnonymizeOptions,
  stage: { name: string; rows: number } | undefined,
): Promise<{
  rows: number;
  pending: PendingKey[];
  method: Method;
  staged?: 'parallel' | 'single';
  indexes?: 'rebuilt';
  fallback?: string;
}> {
  const plainUpdate = async () => (await client.query(step.sql, step.params)).rowCount ?? 0;
  if (method === 'rewrite') {
    return orPlainUpdate(
      client,
      options,
      plainUpdate,
      async () => ({ ...(await rewriteTable(client, step, table, stage)), method, staged: stage ? 'parallel' : 'single' }),
      async () => {
        if (stage) await client.query(`DROP TABLE IF EXISTS ${stage.name}`);
      },
    );
  }
  if (rebuildsIndexes(table)) {
    return orPlainUpdate(client, options, plainUpdate, async () => ({
      ...(await updateWithoutIndexes(client, step, table)),
      method,
      indexes: 'rebuilt',
    }));
  }
  return { rows: await plainUpdate(), pending: [], method: 'update' };
}

/** Tries `attempt` under a savepoint; on an error (not an abort) rolls it back and runs the plain UPDATE. */
async function orPlainUpdate<T extends { rows: number; pending: PendingKey[]; method: Method }>(
  client: pg.Client,
  options: AnonymizeOptions,
  plainUpdate: () => Promise<number>,
  attempt: () => Promise<T>,
  cleanUp: () => Promise<void> = async () => {},
): Promise<T | { rows: number; pending: PendingKey[]; method: Method; fallback: string }> {
  await client.query('SAVEPOINT refork_method');
  try {
    const done = await attempt();
    await client.query('RELEASE SAVEPOINT refork_method');
    return done;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    await client.query('ROLLBACK TO SAVEPOINT refork_method');
    await cleanUp();
    return { rows: await plainUpdate(), pending: [], method: 'update', fallback: scrub(messageOf(error), options.key) };
  }
}

async function runTruncates(
  client: pg.Client,
  steps: Extract<TableStep, { kind: 'truncate' }>[],
  options: AnonymizeOptions,
): Promise<TableOutcome[]> {
  const started = performance.now();
  const names = steps.map((step) => step.display).join(', ');
  return inTransaction(client, `truncating ${names}`, steps[0]?.display ?? '', options, async () => {
    for (const step of steps) await client.query(`LOCK TABLE ${quoteTable(step.table)} IN ACCESS EXCLUSIVE MODE`);
    const pending: typeof steps = [];
    const outcomes: TableOutcome[] = [];
    for (const step of steps) {
      if (await isCompleted(client, step.display, options.runId))
        outcomes.push({ table: step.display, rows: 0, skipped: true, elapsedMs: 0 });
      else pending.push(step);
    }
    if (pending.length === 0) return outcomes;
    const triggers = [];
    for (const step of pending) triggers.push(...(await disableUserTriggers(client, step.table)));
    await client.query(`TRUNCATE TABLE ${pending.map((step) => quoteTable(step.table)).join(', ')}`);
    await restoreTriggers(client, triggers);
    for (const step of pending) await client.query(`ANALYZE ${quoteTable(step.table)}`);
    const elapsedMs = Math.round(performance.now() - started);
    for (const step of pending) {
      // TRUNCATE reports no row count; the planner's estimate is what the ledger keeps.
      await recordCompletion(client, step.display, options.runId, step.estimatedRows);
      outcomes.push({ table: step.display, rows: step.estimatedRows, skipped: false, elapsedMs });
    }
    return outcomes;
  });
}

async function inTransaction<T>(
  client: pg.Client,
  what: string,
  table: string,
  options: AnonymizeOptions,
  work: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if (options.signal?.aborted)
      throw new AnonymizeError(`anonymization aborted while masking ${what}; resume with the same run id`, table);
    throw new AnonymizeError(`anonymizing ${what} failed: ${scrub(messageOf(error), options.key)}`, table, sqlstateOf(error));
  }
}

/** On abort, cancels the statement in flight from a second session, so a long UPDATE stops now. */
function cancelOnAbort(options: AnonymizeOptions, client: pg.Client): () => Promise<void> {
  const signal = options.signal;
  if (!signal) return async () => {};
  let pid: Promise<number> | undefined;
  let cancelling: Promise<void> = Promise.resolve();
  const onAbort = () => {
    pid ??= backendPid(client);
    cancelling = (async () => {
      const target = await pid;
      const other = await options.connect();
      try {
        await other.query('SELECT pg_catalog.pg_cancel_backend($1)', [target]);
      } finally {
        await other.end();
      }
    })().catch(() => {});
  };
  // Read the pid up front: once a statement is running, this connection cannot answer.
  pid = backendPid(client);
  pid.catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  return async () => {
    signal.removeEventListener('abort', onAbort);
    await cancelling;
  };
}

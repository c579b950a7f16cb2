// The rollback window's records (`refork_previous_databases`, migrations/005_rollback.ts): the
// database a refresh replaced, kept on the target until its window ends. Each change of state
// is a conditional UPDATE, so a step that runs again after a crash (or an expiry beat that
// races a cleanup) finds the row already moved and does nothing twice; each one also appends
// an event to the run that kept the database (`previous.*`), in the same transaction, for the
// audit report. The database's clock decides windows, as it decides leases.
import type { Knex } from 'knex';
import { insertEvent } from './insertEvent.js';
import { writeTransaction } from './transaction.js';

export type PreviousState = 'kept' | 'restoring' | 'restored' | 'destroying' | 'destroyed';
export type RetireReason = 'expired' | 'replaced';

export interface PreviousDatabase {
  id: number;
  pipeline: string;
  addonId: string;
  addonName: string;
  /** The billing (owner) app. */
  ownerApp: string;
  /** The app it is kept on, under REFORK_PREVIOUS. */
  targetApp: string;
  /** false: owned by an app refork does not manage; retiring it detaches it instead. */
  mayDestroy: boolean;
  /** The run that kept it. */
  runId: string;
  keptSince: Date;
  keptUntil: Date;
  state: PreviousState;
  reason: RetireReason | null;
  /** The rollback run that holds it (state `restoring`) or promoted it back (`restored`). */
  rollbackRun: string | null;
}

/** What a cleanup keeps: the record's facts, and how long from now (database clock) to keep it. */
export type KeepRequest = Pick<
  PreviousDatabase,
  'pipeline' | 'addonId' | 'addonName' | 'ownerApp' | 'targetApp' | 'mayDestroy' | 'runId'
> & {
  windowMs: number;
};

interface PreviousRow {
  id: string;
  pipeline: string;
  addon_id: string;
  addon_name: string;
  owner_app: string;
  target_app: string;
  may_destroy: boolean;
  run_id: string;
  kept_since: Date;
  kept_until: Date;
  state: PreviousState;
  reason: RetireReason | null;
  rollback_run: string | null;
}

function fromRow(row: PreviousRow): PreviousDatabase {
  return {
    id: Number(row.id),
    pipeline: row.pipeline,
    addonId: row.addon_id,
    addonName: row.addon_name,
    ownerApp: row.owner_app,
    targetApp: row.target_app,
    mayDestroy: row.may_destroy,
    runId: row.run_id,
    keptSince: row.kept_since,
    keptUntil: row.kept_until,
    state: row.state,
    reason: row.reason,
    rollbackRun: row.rollback_run,
  };
}

/** What the steps, `status`, `gc` and the expiry beat need of the records. */
export interface PreviousStore {
  /** Records a kept database (its window counted from now, database clock); the same run keeping the same one again returns the first record. */
  keep(request: KeepRequest): Promise<PreviousDatabase>;
  /** The pipeline's live previous database (kept, being rolled back to, or on its way out), if any. */
  current(pipeline: string): Promise<PreviousDatabase | null>;
  /** Every live one of these pipelines (all pipelines when omitted). */
  live(pipelines?: string[]): Promise<PreviousDatabase[]>;
  /** kept → destroying, recording why; false when the row was not kept (someone else moved it). */
  retire(id: number, reason: RetireReason): Promise<boolean>;
  /** destroying → destroyed. */
  destroyed(id: number): Promise<void>;
  /** kept (inside its window) → restoring for this rollback run; true also when this run holds it already. */
  reserve(id: number, rollbackRun: string): Promise<boolean>;
  /** restoring → kept: the rollback gave up before promoting it. */
  unreserve(id: number, rollbackRun: string): Promise<void>;
  /** restoring → restored: it is DATABASE again. */
  restored(id: number, rollbackRun: string): Promise<void>;
  /** Kept ones whose window has ended, and ones left `destroying` (a crash, an outage): the expiry beat's work. */
  due(pipelines: string[]): Promise<PreviousDatabase[]>;
  /** Every record of a pipeline, newest first (tests, audits). */
  history(pipeline: string): Promise<PreviousDatabase[]>;
}

const LIVE = `state IN ('kept', 'restoring', 'destroying')`;

export function createPreviousStore(knex: Knex): PreviousStore {
  /** Moves one row from one state to another and logs it on the run that kept it; null when it was not in `from`. */
  const move = async (
    id: number,
    from: PreviousState,
    to: PreviousState,
    extra: { condition?: string; set?: string; bindings?: Record<string, unknown>; detail?: Record<string, unknown> } = {},
  ): Promise<PreviousDatabase | null> =>
    writeTransaction(knex, async (trx) => {
      const result = await trx.raw<{ rows: PreviousRow[] }>(
        `UPDATE refork_previous_databases
            SET state = :to, updated_at = now() ${extra.set ?? ''}
          WHERE id = :id AND state = :from ${extra.condition ?? ''}
         RETURNING *`,
        { id, from, to, ...extra.bindings },
      );
      const [row] = result.rows;
      if (!row) return null;
      await logEvent(trx, row, `previous.${to}`, extra.detail ?? {});
      return fromRow(row);
    });

  return {
    keep: (request) =>
      writeTransaction(knex, async (trx) => {
        const existing = await trx.raw<{ rows: PreviousRow[] }>(
          `SELECT * FROM refork_previous_databases WHERE run_id = :runId AND addon_id = :addonId`,
          { runId: request.runId, addonId: request.addonId },
        );
        const [found] = existing.rows;
        if (found) return fromRow(found);
        const result = await trx.raw<{ rows: PreviousRow[] }>(
          `INSERT INTO refork_previous_databases
             (pipeline, addon_id, addon_name, owner_app, target_app, may_destroy, run_id, kept_until)
           VALUES (:pipeline, :addonId, :addonName, :ownerApp, :targetApp, :mayDestroy, :runId,
                   now() + CAST(:windowMs AS double precision) * interval '1 millisecond')
           RETURNING *`,
          { ...request },
        );
        const [row] = result.rows;
        if (!row) throw new Error(`recording the previous database ${request.addonName} returned no row`);
        await logEvent(trx, row, 'previous.kept', {});
        return fromRow(row);
      }),
    current: async (pipeline) => {
      const result = await knex.raw<{ rows: PreviousRow[] }>(
        `SELECT * FROM refork_previous_databases WHERE pipeline = :pipeline AND ${LIVE}`,
        {
          pipeline,
        },
      );
      const [row] = result.rows;
      return row ? fromRow(row) : null;
    },
    live: async (pipelines) => {
      const result = await knex.raw<{ rows: PreviousRow[] }>(
        `SELECT * FROM refork_previous_databases
          WHERE ${LIVE} AND (CAST(:pipelines AS text[]) IS NULL OR pipeline = ANY(CAST(:pipelines AS text[])))
          ORDER BY pipeline`,
        { pipelines: pipelines ?? null },
      );
      return result.rows.map(fromRow);
    },
    retire: async (id, reason) =>
      (await move(id, 'kept', 'destroying', {
        // An expiry re-checks the window on the database clock in the same statement that ends it.
        condition: reason === 'expired' ? 'AND kept_until <= now()' : '',
        set: ', reason = :reason',
        bindings: { reason },
        detail: { reason },
      })) !== null,
    destroyed: async (id) => {
      await move(id, 'destroying', 'destroyed');
    },
    reserve: async (id, rollbackRun) => {
      const moved = await move(id, 'kept', 'restoring', {
        condition: 'AND kept_until > now()',
        set: ', rollback_run = :rollbackRun',
        bindings: { rollbackRun },
        detail: { rollbackRun },
      });
      if (moved) return true;
      const result = await knex.raw<{ rows: unknown[] }>(
        `SELECT 1 FROM refork_previous_databases WHERE id = :id AND state = 'restoring' AND rollback_run = :rollbackRun`,
        { id, rollbackRun },
      );
      return result.rows.length > 0;
    },
    unreserve: async (id, rollbackRun) => {
      await move(id, 'restoring', 'kept', {
        condition: 'AND rollback_run = :rollbackRun',
        set: ', rollback_run = NULL',
        bindings: { rollbackRun },
        detail: { rollbackRun },
      });
    },
    restored: async (id, rollbackRun) => {
      await move(id, 'restoring', 'restored', {
        condition: 'AND rollback_run = :rollbackRun',
        bindings: { rollbackRun },
        detail: { rollbackRun },
      });
    },
    due: async (pipelines) => {
      if (pipelines.length === 0) return [];
      const result = await knex.raw<{ rows: PreviousRow[] }>(
        `SELECT * FROM refork_previous_databases
          WHERE pipeline = ANY(CAST(:pipelines AS text[]))
            AND ((state = 'kept' AND kept_until <= now()) OR state = 'destroying')
          ORDER BY kept_until`,
        { pipelines },
      );
      return result.rows.map(fromRow);
    },
    history: async (pipeline) => {
      const result = await knex.raw<{ rows: PreviousRow[] }>(
        `SELECT * FROM refork_previous_databases WHERE pipeline = :pipeline ORDER BY id DESC`,
        { pipeline },
      );
      return result.rows.map(fromRow);
    },
  };
}

/**
 * The audit trail: an event on the run that kept the database (it is finished; its row lock
 * serialises the event's sequence number with any other writer, as appendEvent's does).
 */
async function logEvent(trx: Knex.Transaction, row: PreviousRow, type: string, detail: Record<string, unknown>): Promise<void> {
  await trx.raw(`SELECT id FROM refork_runs WHERE id = :runId FOR UPDATE`, { runId: row.run_id });
  await insertEvent(trx, {
    runId: row.run_id,
    type,
    from: null,
    to: null,
    detail: { addon: row.addon_name, app: row.target_app, keptUntil: row.kept_until.toISOString(), ...detail },
  });
}

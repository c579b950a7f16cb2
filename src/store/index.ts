// The control store: `refork_runs` and `refork_run_events` behind the runner's vocabulary.
// One module per SQL concern; this file only binds them to a knex instance.
// `updated_at` moves when the run's progress or steering changes (start, transition, abort
// request), not on lease claims and heartbeats, so `status` can show how long a run has
// been stuck in a state; the lease has its own expiry column.
import type { Knex } from 'knex';
import { appendEvent } from './appendEvent.js';
import { claimDue } from './claimDue.js';
import { claimRun } from './claimRun.js';
import { recordNotice, settleNotice, takeOwedNotices } from './notices.js';
import { activeRun, databaseNow, eventsOfRuns, getRun, latestRuns, listRuns, nextDueInMs, runEvents, runFacts } from './queries.js';
import { releaseLease } from './releaseLease.js';
import { renewLease } from './renewLease.js';
import { requestAbort } from './requestAbort.js';
import { saveTransition } from './saveTransition.js';
import { startRun } from './startRun.js';
import type { ControlStore } from './types.js';

export function createControlStore(knex: Knex): ControlStore {
  return {
    startRun: (run) => startRun(knex, run),
    claimRun: (runId, owner, leaseTtlMs) => claimRun(knex, runId, owner, leaseTtlMs),
    claimDue: (request) => claimDue(knex, request),
    renewLease: (lease, leaseTtlMs) => renewLease(knex, lease, leaseTtlMs),
    saveTransition: (lease, transition) => saveTransition(knex, lease, transition),
    appendEvent: (lease, event) => appendEvent(knex, lease, event),
    releaseLease: (lease) => releaseLease(knex, lease),
    activeRun: (pipeline) => activeRun(knex, pipeline),
    nextDueInMs: (pipelines, options = { includeLeased: true }) => nextDueInMs(knex, pipelines, options),
    latestRuns: (pipelines) => latestRuns(knex, pipelines),
    recordNotice: (notice) => recordNotice(knex, notice),
    takeOwedNotices: (request) => takeOwedNotices(knex, request),
    settleNotice: (id, settlement) => settleNotice(knex, id, settlement),
    getRun: (runId) => getRun(knex, runId),
    listRuns: (filter) => listRuns(knex, filter),
    runEvents: (runId) => runEvents(knex, runId),
    eventsOfRuns: (runIds, types) => eventsOfRuns(knex, runIds, types ?? null),
    runFacts: (runId) => runFacts(knex, runId),
    requestAbort: (pipeline) => requestAbort(knex, pipeline),
    now: () => databaseNow(knex),
    close: () => knex.destroy(),
  };
}

export { connectionConfig, createKnex } from './connection.js';
export { forceFreeMigrationLock, migrateToLatest, pendingMigrations, type MigrateResult } from './migrate.js';
export { createPreviousStore, type PreviousDatabase, type PreviousStore } from './previous.js';
export type * from './types.js';

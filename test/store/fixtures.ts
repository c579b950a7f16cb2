// Builders shared by the store suites: a migrated database per file, runs with unique
// pipelines per test (so tests never see each other's rows), and a poller for lease expiry.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createControlStore, createKnex, migrateToLatest } from '../../src/store/index.js';
import type { ControlStore, Lease, NewRun, RunRecord, Transition } from '../../src/store/types.js';
import { createTestDatabase } from '../support/databases.js';

export interface TestStore {
  store: ControlStore;
  knex: Knex;
  url: string;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const db = await createTestDatabase('store');
  const knex = createKnex(db.url);
  await migrateToLatest(knex);
  const store = createControlStore(knex);
  return {
    store,
    knex,
    url: db.url,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** The file's store, opened before its tests and closed after them; read its fields inside tests. */
export function useTestStore(): TestStore {
  let opened: TestStore | undefined;
  beforeAll(async () => {
    opened = await openTestStore();
  });
  afterAll(async () => {
    await opened?.close();
  });
  const current = (): TestStore => {
    if (!opened) throw new Error('the test store opens in beforeAll: use it inside a test or hook');
    return opened;
  };
  return {
    get store() {
      return current().store;
    },
    get knex() {
      return current().knex;
    },
    get url() {
      return current().url;
    },
    close: () => current().close(),
  };
}

export function uniquePipeline(): string {
  return `pipeline-${randomUUID().slice(0, 8)}`;
}

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    id: randomUUID(),
    pipeline: uniquePipeline(),
    state: 'preflight',
    snapshot: { status: 'active', value: 'preflight', context: {} },
    machineVersion: 1,
    owner: 'worker-a',
    leaseTtlMs: 60_000,
    ...overrides,
  };
}

export function transition(overrides: Partial<Transition> = {}): Transition {
  return {
    state: 'forking',
    status: 'active',
    snapshot: { status: 'active', value: 'forking', context: { forkName: 'refork-demo-1' } },
    event: { type: 'xstate.done.actor.preflight', from: 'preflight', to: 'forking' },
    ...overrides,
  };
}

/** Starts a run that must start (fresh pipeline), returning its record and lease. */
export async function startedRun(store: ControlStore, overrides: Partial<NewRun> = {}): Promise<{ run: RunRecord; lease: Lease }> {
  const result = await store.startRun(newRun(overrides));
  if (!result.started) throw new Error(`expected run of ${overrides.pipeline ?? 'a fresh pipeline'} to start`);
  return { run: result.run, lease: result.lease };
}

/** Claims the run as `owner` as soon as its lease has expired by the database clock. */
export async function claimWhenExpired(store: ControlStore, runId: string, owner: string, leaseTtlMs = 60_000): Promise<Lease> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const lease = await store.claimRun(runId, owner, leaseTtlMs);
    if (lease) return lease;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${runId} could not be claimed by ${owner} within 10 s`);
}

/** Waits until the run's lease has expired by the database clock, without claiming it. */
export async function waitUntilExpired(store: ControlStore, runId: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const [run, now] = await Promise.all([store.getRun(runId), store.now()]);
    if (run?.leaseExpiresAt && run.leaseExpiresAt <= now) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the lease of run ${runId} did not expire within 10 s`);
}

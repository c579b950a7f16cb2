// Preflight reads production's schema (catalog only, read-only) and refuses rules that would stop
// the run later: a finding is final and creates nothing; a check that could not run is transient.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/anonymize/index.js';
import { createHerokuClient } from '../../src/heroku/client.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/runner/clock.js';
import { toStepFailure } from '../../src/runner/failure.js';
import { createEffects } from '../../src/steps/index.js';
import type { Effects, StepContext } from '../../src/steps/types.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { adminQuery, serverUrl } from '../support/databases.js';

const TOKEN = 'preflight-rules-token';
const ctx: StepContext = { signal: new AbortController().signal, logger: silentLogger() };
// No fork app: the fork lives on the target (its own checks are test/steps/fork-app.test.ts's).
const input = { sourceApp: 'acme-prod', sourceDatabase: 'DATABASE', targetApp: 'acme-staging', forkApp: 'acme-staging' };
let sim: Simulator;
let prodUrl: string;

beforeEach(async () => {
  sim = await startSimulator({ postgresUrl: serverUrl(), token: TOKEN, provisionDelayMs: 20, dataApi404Ms: 0, waitingMs: 0 });
  sim.createApp('acme-prod');
  sim.createApp('acme-staging');
  const prod = await sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'prod-db' });
  await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'old-db' });
  prodUrl = sim.databaseUrl(prod.name);
  await adminQuery(prodUrl, 'CREATE TABLE accounts (id int PRIMARY KEY, address_id int, email text)');
});
afterEach(async () => {
  await sim.close();
});

function effects(rules: unknown): Effects {
  return createEffects({
    heroku: createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } }),
    clock: systemClock,
    boundary: () => {},
    rules: parseRules(rules, 'anonymize'),
    forkAppAccess: 'warn',
    anonymizeKey: 'k'.repeat(32),
    controlDatabaseUrl: 'postgres://control.invalid/control',
    polling: { minMs: 10, maxMs: 50, notFoundLimit: 5, releaseTimeoutMs: 5_000 },
  });
}

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return toStepFailure(error, 'preflight', 0);
  }
  throw new Error('preflight passed');
};

describe('preflight, rules against production', () => {
  it('passes rules that cover and fit production', async () => {
    const found = await effects({ tables: { accounts: { columns: { id: 'safe', address_id: 'safe', email: 'email' } } } }).preflight(
      input,
      ctx,
    );
    expect(found.source.name).toBe('prod-db');
  });

  it('refuses for good what it finds, every problem kept', async () => {
    const failure = await failureOf(
      effects({ tables: { accounts: { columns: { id: 'safe', address_id: { strategy: 'constant', value: 'REPLACE ME' } } } } }).preflight(
        input,
        ctx,
      ),
    );
    expect(failure).toMatchObject({ code: 'rules_do_not_fit', retryable: false });
    expect(failure.problems).toEqual([
      'public.accounts: columns email are not classified (added since the rules were written?): mask them or mark them safe',
      'anonymize.tables.accounts.columns.address_id: strategy constant does not fit column "address_id" (integer): invalid input syntax for type integer: "REPLACE ME"; give a value or expression of that type, or another strategy',
    ]);
    expect(sim.events.filter((event) => event.type === 'addon.created')).toHaveLength(2);
  });

  it('calls a production it cannot read a transient failure', async () => {
    const name = new URL(prodUrl).pathname.slice(1);
    await adminQuery(serverUrl(), `ALTER DATABASE "${name}" RENAME TO "${name}_away"`);
    try {
      const failure = await failureOf(effects({ tables: { accounts: 'safe' } }).preflight(input, ctx));
      expect(failure).toMatchObject({ code: 'rules_check_not_run', retryable: true });
      expect(failure.message).toMatch(/could not check the rules against acme-prod's schema/);
    } finally {
      await adminQuery(serverUrl(), `ALTER DATABASE "${name}_away" RENAME TO "${name}"`);
    }
  });
});

describe('verify, every problem kept', () => {
  it('keeps the whole list, however long, beside a message that names the first', async () => {
    const tables = Array.from({ length: 7 }, (_, i) => `contacts_${i}`);
    for (const table of tables) await adminQuery(prodUrl, `CREATE TABLE ${table} AS SELECT 'someone${table}@gmail.com'::text AS email`);
    const all = effects({ tables: { accounts: 'safe', ...Object.fromEntries(tables.map((table) => [table, 'safe'])) } });
    const fork = await all.createFork(
      {
        app: 'acme-staging',
        name: 'refork-staging-bbbbbbbbbbbb',
        attachmentName: 'REFORK_BBBBBBBB',
        plan: 'heroku-postgresql:standard-0',
        forkFrom: 'prod-db',
        fast: false,
      },
      ctx,
    );
    for (let polls = 0; ; polls++) {
      const seen = await all.waitForFork(
        { app: 'acme-staging', forkId: fork.id, polls, notFound: 0, startedAt: null, maxWaitMinutes: 5 },
        ctx,
      );
      if (seen.available) break;
      if (polls > 200) throw new Error('fork never became available');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const failure = await failureOf(
      all.verify({ app: 'acme-staging', forkId: fork.id, attachmentName: 'REFORK_BBBBBBBB', runId: 'run-problems' }, ctx),
    );
    expect(failure).toMatchObject({ code: 'verification_failed', retryable: false });
    expect(failure.problems?.length).toBeGreaterThan(7);
    for (const table of tables)
      expect(failure.problems).toContainEqual(expect.stringMatching(new RegExp(`^public\\.${table}\\."email": `)));
    expect(failure.message).toMatch(
      new RegExp(`^verification failed: .* \\(${failure.problems?.length} problems in all: refork events <run>\\)$`),
    );
  });
});

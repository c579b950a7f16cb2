// The verifying step on a real fork: what a gate found fails the run for good, a gate that
// could not check (the API down, so no connection to the fork) is a transient failure the
// machine tries again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parseRules } from '../../src/anonymize/index.js';
import { systemClock } from '../../src/clock.js';
import { createHerokuClient } from '../../src/heroku/client.js';
import { silentLogger } from '../../src/log/logger.js';
import { toStepFailure } from '../../src/runner/failure.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { createEffects } from '../../src/steps/index.js';
import type { Effects, StepContext, VerifyInput } from '../../src/steps/types.js';
import { serverUrl } from '../support/databases.js';

const TOKEN = 'verify-step-token';
const ctx: StepContext = { signal: new AbortController().signal, logger: silentLogger() };
let sim: Simulator;
let effects: Effects;

beforeEach(async () => {
  sim = await startSimulator({ postgresUrl: serverUrl(), token: TOKEN, provisionDelayMs: 20, dataApi404Ms: 0, waitingMs: 0 });
  sim.createApp('acme-prod');
  sim.createApp('acme-staging');
  await sim.addDatabase('acme-prod', {
    as: 'DATABASE',
    name: 'prod-db',
    seedSql: `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
              INSERT INTO customers SELECT i, 'person' || i || '@real.example' FROM generate_series(1, 50) i;`,
  });
  await sim.addDatabase('acme-staging', { as: 'DATABASE', name: 'old-db' });
  effects = createEffects({
    heroku: createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1, limit: 1 } }),
    clock: systemClock,
    boundary: () => {},
    rules: parseRules({ tables: { customers: { columns: { id: 'safe', email: 'email' } } } }, 'anonymize'),
    forkAppAccess: 'warn',
    anonymizeKey: 'k'.repeat(32),
    controlDatabaseUrl: 'postgres://control.invalid/control',
    polling: { minMs: 10, maxMs: 50, notFoundLimit: 20, releaseTimeoutMs: 5_000 },
  });
});
afterEach(async () => {
  await sim.close();
});

/** A fork of production, available and masked, ready to verify. */
async function maskedFork(): Promise<VerifyInput> {
  const fork = await effects.createFork(
    {
      app: 'acme-staging',
      name: 'refork-staging-aaaaaaaaaaaa',
      attachmentName: 'REFORK_AAAAAAAA',
      plan: 'heroku-postgresql:standard-0',
      forkFrom: 'prod-db',
      fast: false,
    },
    ctx,
  );
  for (let polls = 0; ; polls++) {
    const seen = await effects.waitForFork(
      { app: 'acme-staging', forkId: fork.id, polls, notFound: 0, startedAt: null, maxWaitMinutes: 5 },
      ctx,
    );
    if (seen.available) break;
    if (polls > 400) throw new Error('fork never became available');
    await new Promise((r) => setTimeout(r, 10));
  }
  const input = { app: 'acme-staging', forkId: fork.id, attachmentName: 'REFORK_AAAAAAAA', runId: '0f3c2a1b-aaaa-4bbb-8ccc-123456789012' };
  await effects.anonymize(input, ctx);
  return input;
}

async function failureOf(promise: Promise<unknown>) {
  return toStepFailure(
    await promise.then(
      () => new Error('expected a failure'),
      (error: unknown) => error,
    ),
    'verifying',
    0,
  );
}

describe('verifying', () => {
  it('passes a masked fork', async () => {
    const input = await maskedFork();
    expect((await effects.verify(input, ctx)).checks).toBeGreaterThan(0);
  });

  it('fails for good on a finding: a column nobody classified', async () => {
    const input = await maskedFork();
    const fork = sim.addons('acme-staging').find((a) => a.name === 'refork-staging-aaaaaaaaaaaa');
    const client = new pg.Client({ connectionString: sim.databaseUrl(fork?.id ?? '') });
    await client.connect();
    await client.query('ALTER TABLE customers ADD COLUMN phone text');
    await client.end();
    const failure = await failureOf(effects.verify(input, ctx));
    expect(failure).toMatchObject({ code: 'verification_failed', retryable: false });
  });

  it('is tried again when it could not check: the API is down, so the fork cannot be reached', async () => {
    const input = await maskedFork();
    sim.faults.add({ path: /config-vars$/, times: 10, kind: { status: 503, id: 'unavailable', message: 'down' } });
    const failure = await failureOf(effects.verify(input, ctx));
    expect(failure).toMatchObject({ code: 'verification_incomplete', retryable: true });
    expect(failure.message).toMatch(/verification could not finish: verification could not run: .*503/);
  });
});

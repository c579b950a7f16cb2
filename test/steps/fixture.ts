// Shared set-up for the step suites: the real Heroku client against an in-process simulator
// with production, staging (and whatever a test adds), effects bound to them, and a record of
// the Heroku mutations each effect announced at its boundaries.
import { parseRules } from '../../src/anonymize/index.js';
import type { ForkAppAccessPolicy } from '../../src/config/pipeline.js';
import { createHerokuClient } from '../../src/heroku/client.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/clock.js';
import type { StepDeps } from '../../src/steps/deps.js';
import { createEffects } from '../../src/steps/index.js';
import type { CreateForkOutput, Effects, StepContext } from '../../src/steps/types.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { adminQuery, serverUrl } from '../support/databases.js';

export const TOKEN = 'steps-test-token';
export const FORK_NAME = 'refork-staging-aaaaaaaaaaaa';
export const FORK_AS = 'REFORK_AAAAAAAA';

export interface StepsWorld {
  sim: Simulator;
  effects: Effects;
  /** Names of the Heroku mutations started so far (`createAddon`, `promote`, …). */
  mutations: string[];
  ctx: StepContext;
  /** Creates the fork on `app` and waits until it is available. */
  availableFork(app?: string, name?: string): Promise<CreateForkOutput>;
  /** Add-on name attached to `app` as its primary DATABASE. */
  databaseOf(app: string): string | undefined;
  /** Names under which `addon` is attached to `app`. */
  attachedAs(app: string, addon: string): string[];
  idOf(addon: string): string;
}

export async function startStepsWorld(
  options: {
    forkAppAccess?: ForkAppAccessPolicy;
    /** The `anonymize:` rules (none by default). */
    rules?: unknown;
    /** The fork plan and what the pipeline says of its disk (no disk checks by default). */
    disk?: StepDeps['disk'];
    /** Runs on production's database before the effects are made. */
    seed?: string;
  } = {},
): Promise<StepsWorld> {
  const sim = await startSimulator({
    postgresUrl: serverUrl(),
    token: TOKEN,
    provisionDelayMs: 20,
    dataApi404Ms: 0,
    waitingMs: 0,
    deprovisionDelayMs: 10,
  });
  sim.createApp('acme-prod');
  sim.createApp('acme-staging');
  const prod = await sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'prod-db' });
  if (options.seed) await adminQuery(sim.databaseUrl(prod.name), options.seed);
  await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: 'old-db' });
  const mutations: string[] = [];
  const effects = createEffects({
    heroku: createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } }),
    clock: systemClock,
    boundary: (name) => {
      if (name.endsWith(':before')) mutations.push(name.replace(/^heroku:|:before$/g, ''));
    },
    rules: parseRules(options.rules ?? { tables: {} }, 'test'),
    forkAppAccess: options.forkAppAccess ?? 'warn',
    ...(options.disk ? { disk: options.disk } : {}),
    anonymizeKey: 'k'.repeat(32),
    controlDatabaseUrl: 'postgres://control.invalid/control',
    polling: { minMs: 10, maxMs: 50, notFoundLimit: 5, releaseTimeoutMs: 5_000 },
  });
  const ctx: StepContext = { signal: new AbortController().signal, logger: silentLogger() };

  const availableFork = async (app = 'acme-staging', name = FORK_NAME) => {
    const fork = await effects.createFork(
      { app, name, attachmentName: FORK_AS, plan: 'heroku-postgresql:standard-0', forkFrom: 'prod-db', fast: false },
      ctx,
    );
    for (let polls = 0; polls < 200; polls++) {
      const seen = await effects.waitForFork({ app, forkId: fork.id, polls, notFound: 0, startedAt: null, maxWaitMinutes: 5 }, ctx);
      if (seen.available) return fork;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('fork never became available');
  };
  const idOf = (addon: string) => {
    const found = sim.addons().find((a) => a.name === addon);
    if (!found) throw new Error(`no live add-on ${addon}`);
    return found.id;
  };
  return {
    sim,
    effects,
    mutations,
    ctx,
    availableFork,
    databaseOf: (app) => sim.attachments(app).find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name,
    attachedAs: (app, addon) =>
      sim
        .attachments(app)
        .filter((a) => a.addon.name === addon)
        .map((a) => a.name),
    idOf,
  };
}

// Builds what a command needs from the environment and refork.yml: the control store, the
// Heroku client, the logger and the pipeline effects. Everything is validated here, before
// any run exists, so bad input stops with one line and nothing created.
import type { Knex } from 'knex';
import { loadConfig, pipelineNamed, type PipelineConfig, type ReforkConfig } from '../config/pipeline.js';
import { readEnvironment, type Environment } from '../config/environment.js';
import { createHerokuClient } from '../heroku/client.js';
import type { HerokuApi } from '../heroku/types.js';
import { commandLogger, type Logger } from '../log/logger.js';
import { DEFAULT_RETRY } from '../../machines/refresh.js';
import { boundaryFromEnv, type Boundary } from '../boundary.js';
import { clockFromEnv, type Clock } from '../clock.js';
import { defaultOwner, type RunnerDeps } from '../runner/run-pipeline.js';
import { DEFAULT_LIMITS, type Limits } from '../runner/slots.js';
import { notificationOutbox, type Outbox } from '../notify/outbox.js';
import { noNotifier, webhookNotifier } from '../notify/webhook.js';
import { createEffects } from '../steps/index.js';
import { createControlStore, createKnex, createPreviousStore, type PreviousStore } from '../store/index.js';
import type { ControlStore } from '../store/types.js';

export interface Tuning {
  leaseTtlMs: number;
  retryBaseMs: number;
  /** The steady pace a long outage is retried at. */
  retryMaxMs: number;
  /** Runs and heavy steps one process works on at once. */
  limits: Limits;
  pollMinMs: number;
  pollMaxMs: number;
  notFoundLimit: number;
  releaseTimeoutMs: number;
  /** How long a notice taken for sending is one process's own (docs/design.md#notifications). */
  notifyHoldMs: number;
}

/** Production defaults; REFORK_* variables exist for tests and unusual setups. */
export function tuningFrom(env: NodeJS.ProcessEnv): Tuning {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    leaseTtlMs: num('REFORK_LEASE_TTL_MS', 60_000),
    retryBaseMs: num('REFORK_RETRY_BASE_MS', DEFAULT_RETRY.baseMs),
    retryMaxMs: num('REFORK_RETRY_MAX_MS', DEFAULT_RETRY.maxMs),
    limits: {
      runs: Math.max(1, Math.floor(num('REFORK_MAX_RUNS', DEFAULT_LIMITS.runs))),
      heavy: Math.max(1, Math.floor(num('REFORK_MAX_HEAVY', DEFAULT_LIMITS.heavy))),
    },
    pollMinMs: num('REFORK_POLL_MIN_MS', 5_000),
    pollMaxMs: num('REFORK_POLL_MAX_MS', 5 * 60_000),
    notFoundLimit: num('REFORK_NOT_FOUND_LIMIT', 20),
    releaseTimeoutMs: num('REFORK_RELEASE_TIMEOUT_MS', 15 * 60_000),
    notifyHoldMs: num('REFORK_NOTIFY_HOLD_MS', 60_000),
  };
}

export interface App {
  env: Environment;
  config: ReforkConfig;
  knex: Knex;
  store: ControlStore;
  /** Sends the notices runs owe; every process that serves runs also sends what others left owed. */
  outbox: Outbox;
  /** The rollback window's records (docs/rollback.md). */
  previous: PreviousStore;
  heroku: HerokuApi;
  logger: Logger;
  clock: Clock;
  boundary: Boundary;
  tuning: Tuning;
  owner: string;
  runnerDeps(pipeline: PipelineConfig): RunnerDeps;
  pipeline(name: string): PipelineConfig;
  close(): Promise<void>;
}

export interface OpenOptions {
  processEnv?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
  /** Default: from REFORK_TRACE_FILE / REFORK_CRASH_AT; tests may watch every boundary in process. */
  boundary?: Boundary;
}

export async function openApp(options: OpenOptions = {}): Promise<App> {
  const processEnv = options.processEnv ?? process.env;
  const env = readEnvironment(processEnv);
  const config = await loadConfig(env.configPath);
  const logger = options.logger ?? commandLogger(processEnv);
  const clock = options.clock ?? clockFromEnv(processEnv);
  const boundary = options.boundary ?? boundaryFromEnv(processEnv);
  const tuning = tuningFrom(processEnv);
  const heroku = createHerokuClient({
    token: env.herokuApiKey,
    apiUrl: env.herokuApiUrl,
    dataApiUrl: env.herokuDataApiUrl,
    logger,
    // Backoff inside one call runs on refork's clock too (a scaled one in tests and benchmarks).
    sleep: async (ms, signal) => {
      await clock.sleep(ms, signal);
      signal?.throwIfAborted();
    },
  });
  const knex = createKnex(env.controlDatabaseUrl, { logger });
  const store = createControlStore(knex);
  const previous = createPreviousStore(knex);
  const owner = defaultOwner();
  const notifier = env.webhookUrl
    ? webhookNotifier(env.webhookUrl, { logger, format: env.webhookFormat, secret: env.webhookSecret })
    : noNotifier;
  const outbox = notificationOutbox({ store, notifier, logger, boundary, holdMs: tuning.notifyHoldMs });
  const runnerDeps = new Map<string, RunnerDeps>();
  return {
    env,
    config,
    knex,
    store,
    outbox,
    previous,
    heroku,
    logger,
    clock,
    boundary,
    tuning,
    owner,
    pipeline: (name) => pipelineNamed(config, name),
    runnerDeps: (pipeline) => {
      let deps = runnerDeps.get(pipeline.name);
      if (!deps) {
        deps = {
          store,
          clock,
          logger,
          boundary,
          owner,
          leaseTtlMs: tuning.leaseTtlMs,
          retry: { baseMs: tuning.retryBaseMs, maxMs: tuning.retryMaxMs },
          // Polls and retries of every run in this process draw on one budget for the token.
          pace: (ms) => heroku.budget.stretch(ms),
          outbox,
          stuckAfterMs: config.stuckAfterMinutes * 60_000,
          effects: createEffects({
            heroku,
            clock,
            boundary,
            rules: pipeline.anonymize,
            forkAppAccess: pipeline.forkAppAccess,
            controlDatabaseUrl: env.controlDatabaseUrl,
            anonymizeKey: env.anonymizeKey,
            fixups: pipeline.fixups,
            previous,
            disk: { plan: pipeline.plan, ...pipeline.disk },
            polling: {
              minMs: tuning.pollMinMs,
              maxMs: tuning.pollMaxMs,
              notFoundLimit: tuning.notFoundLimit,
              releaseTimeoutMs: tuning.releaseTimeoutMs,
            },
          }),
        };
        runnerDeps.set(pipeline.name, deps);
      }
      return deps;
    },
    close: async () => {
      await knex.destroy();
    },
  };
}

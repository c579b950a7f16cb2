// A whole refresh setting for end-to-end tests: the simulator on the suite's PostgreSQL, a
// production app whose database is full of fake PII, a staging app with its old database,
// a control database, a refork.yml, and a way to run the real CLI as a child process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { forkNameFor } from '../../machines/refresh.js';
import { seedDemoDatabase } from '../../src/demo/seed.js';
import { startSimulator, type FaultRule, type Simulator } from '../../src/sim/index.js';
import { findLeaks, passwordOf, secretsOfEnv, type Exhibit } from '../secrets/scan.js';
import { runCli, simulatorEnv, spawnCli, type CliResult, type SpawnedCli } from './cli.js';
import { FIXUP_BUMP, FIXUP_SECRET, FIXUPS, RULES } from './pipeline.js';
import { adminQuery, createTestDatabase, databaseUrl, serverUrl, type TestDatabase } from './databases.js';

export const TOKEN = `test-token-${randomBytes(8).toString('hex')}`;
export const ANONYMIZE_KEY = `test-anonymize-key-${randomBytes(12).toString('hex')}`;

export interface AttachCheck {
  addon: string;
  anonymized: boolean;
  detail: string;
}

/** A config var of the target about to hold the URL of an add-on refork created. */
export interface TargetExposure {
  /** Config var, e.g. `DATABASE_URL`. */
  variable: string;
  addon: string;
  /** Whether that add-on's run had passed verification (verifying → promoting stored) at that instant. */
  verified: boolean;
}

/** The private fork app of worlds made with `forkApp`. */
export const FORK_APP = 'acme-refork';
/** Last night's fork, staging's DATABASE in worlds made with `previousFork`. */
export const PREVIOUS_FORK = 'refork-staging-000000000000';

export interface World {
  sim: Simulator;
  control: TestDatabase;
  configPath: string;
  env: NodeJS.ProcessEnv;
  prodAddon: string;
  oldStagingAddon: string;
  /** The app forks are created on: FORK_APP, or the target when the world has no fork app. */
  forkApp: string;
  /** The pipeline puts staging in maintenance mode around the swap (`maintenance: true`). */
  maintenanceMode: boolean;
  /** Staging was in maintenance before refork touched it: a window of its owner's, which refork must leave on. */
  ownersMaintenance: boolean;
  /** Every time a config var of the target went live with a refork add-on's URL. */
  targetExposures: TargetExposure[];
  /** Every time something became staging's DATABASE: was it anonymized at that instant? */
  attachChecks: AttachCheck[];
  /** stdout + stderr of every CLI call, for the secrets scan. */
  output: string[];
  /** The pipeline's fix-ups (FIXUPS with `fixups: true`, else none). */
  fixups: string[];
  /** Values that must never appear in output or control tables; close() scans for them. */
  secrets: Set<string>;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  spawn(args: string[], extraEnv?: NodeJS.ProcessEnv): SpawnedCli;
  close(): Promise<void>;
}

export interface WorldOptions {
  customers?: number;
  provisionDelayMs?: number;
  /** How long the data API says "preparing" once a fork is provisioned; `sim.advanceDatabase` ends it early. */
  waitingMs?: number;
  /** Replace parts of the example pipeline config. */
  pipeline?: Record<string, unknown>;
  /** Top-level config keys besides `pipelines`. */
  config?: Record<string, unknown>;
  /** Staging has a release phase (each attachment change runs it). */
  releasePhase?: boolean;
  /** The release that the promotion triggers fails. */
  failReleaseOnPromote?: boolean;
  /** Heroku's rate-limit bucket (default: 4,500, refilled at 75 a minute). */
  rateLimit?: { capacity: number; refillPerMinute: number };
  /** Forks are made on a private app of their own (`fork_app: acme-refork`), not on staging. */
  forkApp?: boolean;
  /** Staging runs on last night's fork, billed to the fork app, and owns no database (needs `forkApp`). */
  previousFork?: boolean;
  /** The pipeline has `maintenance: true`. */
  maintenance?: boolean;
  /** Staging starts in maintenance mode, as its owner left it. */
  ownersMaintenance?: boolean;
  /** Heroku faults in place before the first run. */
  faults?: FaultRule[];
  /** The pipeline runs FIXUPS in the fork (the invariants then check each was applied once). */
  fixups?: boolean;
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const server = serverUrl();
  const attachChecks: AttachCheck[] = [];
  const output: string[] = [];
  const secrets = new Set<string>([TOKEN, ANONYMIZE_KEY]);
  // A fix-up may hold a password: its literal never leaves the fork (no log, event or status).
  if (options.fixups) secrets.add(FIXUP_SECRET);
  const serverPassword = passwordOf(server);
  if (serverPassword) secrets.add(serverPassword);
  const running = new Set<Promise<unknown>>();
  const targetExposures: TargetExposure[] = [];
  let control: TestDatabase | undefined;
  const sim = await startSimulator({
    postgresUrl: server,
    token: TOKEN,
    provisionDelayMs: options.provisionDelayMs ?? 50,
    dataApi404Ms: 20,
    waitingMs: options.waitingMs ?? 20,
    releaseDelayMs: 50,
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    onAttach: async (event) => {
      const password = passwordOf(event.databaseUrl);
      if (password) secrets.add(password);
      if (event.app !== 'acme-staging') return;
      if (event.addon.name.startsWith('refork-')) {
        const verified = control !== undefined && (await verifiedForks(control.url)).has(event.addon.name);
        targetExposures.push({ variable: `${event.name}_URL`, addon: event.addon.name, verified });
      }
      if (event.name !== 'DATABASE') return;
      if (options.failReleaseOnPromote && event.addon.name.startsWith('refork-')) sim.failNextRelease();
      attachChecks.push({ addon: event.addon.name, ...(await inspectAnonymized(event.adminUrl)) });
    },
  });

  const seed = await createTestDatabase('prodseed');
  await seedDemoDatabase(seed.url, options.customers ?? 200);
  sim.createApp('acme-prod');
  sim.createApp('acme-staging', { releasePhase: options.releasePhase ?? false, maintenance: options.ownersMaintenance ?? false });
  if (options.forkApp) sim.createApp(FORK_APP);
  const prod = await sim.addDatabase('acme-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', fromDatabase: seed.name });
  const oldStaging = options.previousFork
    ? await previousFork(sim)
    : await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE' });
  await seed.drop();
  for (const fault of options.faults ?? []) sim.faults.add(fault);

  const controlDatabase = await createTestDatabase('control');
  control = controlDatabase;
  const dir = await mkdtemp(join(tmpdir(), 'refork-world-'));
  const configPath = join(dir, 'refork.yml');
  const pipeline = {
    source: { app: 'acme-prod', database: 'DATABASE' },
    target: { app: 'acme-staging' },
    plan: 'heroku-postgresql:standard-0',
    anonymize: RULES,
    ...(options.maintenance ? { maintenance: true } : {}),
    ...(options.fixups ? { fixups: FIXUPS } : {}),
    ...options.pipeline,
  };
  const forkApp = options.forkApp ? { fork_app: FORK_APP } : {};
  await writeFile(
    configPath,
    JSON.stringify({ protected_apps: ['acme-prod'], ...forkApp, ...options.config, pipelines: { staging: pipeline } }, null, 2),
  );

  const env: NodeJS.ProcessEnv = {
    ...simulatorEnv({ simUrl: sim.url, token: TOKEN, controlUrl: controlDatabase.url, key: ANONYMIZE_KEY, configPath }),
    REFORK_LEASE_TTL_MS: '1500',
    REFORK_RETRY_MAX_MS: '2000',
  };

  const world: World = {
    sim,
    control: controlDatabase,
    configPath,
    env,
    prodAddon: prod.name,
    oldStagingAddon: oldStaging.name,
    forkApp: options.forkApp ? FORK_APP : 'acme-staging',
    maintenanceMode: options.maintenance ?? false,
    ownersMaintenance: options.ownersMaintenance ?? false,
    fixups: options.fixups ? FIXUPS : [],
    targetExposures,
    attachChecks,
    output,
    secrets,
    cli: async (args, extraEnv = {}) => {
      for (const secret of secretsOfEnv(extraEnv)) secrets.add(secret);
      const result = await runCli(args, { ...env, ...extraEnv });
      output.push(result.stdout, result.stderr);
      return result;
    },
    spawn: (args, extraEnv = {}) => {
      for (const secret of secretsOfEnv(extraEnv)) secrets.add(secret);
      const spawned = spawnCli(args, { ...env, ...extraEnv });
      const recorded = spawned.done.then((result) => output.push(result.stdout, result.stderr));
      running.add(recorded);
      void recorded.finally(() => running.delete(recorded));
      return spawned;
    },
    close: async () => {
      // Children still running get a moment to finish so their output is scanned too.
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 5_000))]);
      let leaks: string[] = [];
      try {
        // An add-on still provisioning has no credentials yet, so no password to look for.
        for (const addon of sim.addons().filter((a) => a.state !== 'provisioning')) {
          const password = passwordOf(sim.databaseUrl(addon.id));
          if (password) secrets.add(password);
        }
        leaks = findLeaks(
          [...output.map((text, i) => ({ where: `CLI output #${i}`, text })), ...(await storedRows(controlDatabase.url))],
          secrets,
        );
      } finally {
        await sim.close();
        await controlDatabase.drop();
        await rm(dir, { recursive: true, force: true });
      }
      if (leaks.length) throw new Error(`secrets scan: ${leaks.length} leak(s): ${leaks.slice(0, 5).join('; ')}`);
    },
  };
  return world;
}

/** Last night's fork: a masked copy billed to the fork app, attached to staging as DATABASE. */
async function previousFork(sim: Simulator) {
  const addon = await sim.addDatabase(FORK_APP, { plan: 'heroku-postgresql:standard-0', name: PREVIOUS_FORK, as: 'REFORK_00000000' });
  sim.attach(PREVIOUS_FORK, 'acme-staging', 'DATABASE');
  return addon;
}

/** Forks whose run stored the step from verifying to promoting: they passed verification. */
export async function verifiedForks(controlUrl: string): Promise<Set<string>> {
  const rows = await adminQuery(
    controlUrl,
    `SELECT DISTINCT r.id, r.pipeline FROM refork_runs r JOIN refork_run_events e ON e.run_id = r.id
      WHERE e.from_state = 'verifying' AND e.to_state IN ('enteringMaintenance', 'promoting')`,
  ).catch(() => null);
  return new Set((rows?.rows ?? []).map((row: { id: string; pipeline: string }) => forkNameFor(row.pipeline, row.id)));
}

/** Every row refork stored (runs with their snapshot and error, events with their detail, facts for reports), as text. */
async function storedRows(url: string): Promise<Exhibit[]> {
  const exhibits: Exhibit[] = [];
  for (const table of ['refork_runs', 'refork_run_events', 'refork_run_facts', 'refork_notifications']) {
    const rows = await adminQuery(url, `SELECT to_jsonb(t)::text AS text FROM ${table} t`).catch(() => null);
    if (rows) exhibits.push(...rows.rows.map((row: { text: string }, i: number) => ({ where: `${table} row ${i}`, text: row.text })));
  }
  return exhibits;
}

/** At the instant a database becomes staging's DATABASE: is every customer row masked and the ledger complete? */
async function inspectAnonymized(url: string): Promise<{ anonymized: boolean; detail: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'customers'",
    );
    if (tables.rows[0]?.n === '0') return { anonymized: false, detail: 'no customers table' };
    const leaked = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM customers WHERE email NOT LIKE '%@example.test' OR phone IS NOT NULL",
    );
    const sessions = await client.query<{ n: string }>('SELECT count(*) AS n FROM sessions');
    const leaks = Number(leaked.rows[0]?.n) + Number(sessions.rows[0]?.n);
    return { anonymized: leaks === 0, detail: `${leaks} unmasked rows` };
  } catch (error) {
    return { anonymized: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end();
  }
}

/** The add-on staging's DATABASE points at now. */
export function stagingDatabase(w: World): string | undefined {
  return w.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name;
}

export async function readControl<T extends pg.QueryResultRow>(world: World, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await adminQuery(world.control.url, sql, params)).rows as T[];
}

/** Polls `check` every 25 ms; throws after `timeoutMs` (a bound, not a timing assertion). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export { databaseUrl, readFile };
export { runCli, spawnCli, type CliResult, type SpawnedCli };
export { FIXUP_BUMP, FIXUP_SECRET, FIXUPS, RULES };

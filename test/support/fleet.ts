// Many pipelines at once, for the several-workers test and `npm run bench:fleet`: one production
// app, one staging app per pipeline, every pipeline's schedule due, forks that take simulated
// hours (refork's clock and the simulator's rate-limit bucket run `scale` times faster than
// the wall clock), and `refork worker` processes sharing one control database.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { seedDemoDatabase } from '../../src/demo/seed.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { spawnCli, type SpawnedCli } from './cli.js';
import { onceCron, RULES } from './pipeline.js';
import { adminQuery, databaseUrl } from './postgres.js';

export interface FleetOptions {
  /** Superuser URL of the PostgreSQL server that holds every database. */
  postgresUrl: string;
  pipelines: number;
  /** Simulated time a fork takes to provision. */
  forkMs: number;
  /** How much faster than the wall clock refork's clock (and Heroku's bucket refill) runs. */
  scale: number;
  customers?: number;
  /** Extra environment for every worker. */
  env?: NodeJS.ProcessEnv;
}

export interface Fleet {
  sim: Simulator;
  pipelines: string[];
  stagingApps: string[];
  controlUrl: string;
  startWorker(extra?: NodeJS.ProcessEnv): SpawnedCli;
  /** Per pipeline: how many runs, and how many of them succeeded. */
  runs(): Promise<Map<string, { runs: number; succeeded: number; active: number }>>;
  /** Finished runs' end on the database clock, to measure the whole refresh of the fleet. */
  lastFinishedAt(): Promise<Date | null>;
  databaseNow(): Promise<Date>;
  close(): Promise<void>;
}

export async function createFleet(options: FleetOptions): Promise<Fleet> {
  const token = `fleet-token-${randomBytes(8).toString('hex')}`;
  const suffix = randomBytes(4).toString('hex');
  const sim = await startSimulator({
    postgresUrl: options.postgresUrl,
    token,
    provisionDelayMs: options.forkMs / options.scale,
    // Heroku's bucket: 4,500 requests, refilled at 75 a minute of simulated time.
    rateLimit: { capacity: 4_500, refillPerMinute: 75 * options.scale },
  });
  const seed = `fleet_seed_${suffix}`;
  const control = `fleet_control_${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), 'refork-fleet-'));
  try {
    await adminQuery(options.postgresUrl, `CREATE DATABASE "${seed}"`);
    await seedDemoDatabase(databaseUrl(options.postgresUrl, seed), options.customers ?? 200);
    sim.createApp('fleet-prod');
    await sim.addDatabase('fleet-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', fromDatabase: seed });
    await adminQuery(options.postgresUrl, `DROP DATABASE "${seed}"`);
    const pipelines: string[] = [];
    const stagingApps: string[] = [];
    const config: Record<string, unknown> = {};
    const schedule = onceCron();
    for (let i = 1; i <= options.pipelines; i++) {
      const name = `p${String(i).padStart(3, '0')}`;
      const app = `fleet-stg-${String(i).padStart(3, '0')}`;
      sim.createApp(app);
      await sim.addDatabase(app, { plan: 'heroku-postgresql:standard-0', as: 'DATABASE' });
      pipelines.push(name);
      stagingApps.push(app);
      config[name] = {
        source: { app: 'fleet-prod', database: 'DATABASE' },
        target: { app },
        plan: 'heroku-postgresql:standard-0',
        schedule,
        timezone: 'UTC',
        anonymize: RULES,
      };
    }
    await adminQuery(options.postgresUrl, `CREATE DATABASE "${control}"`);
    const controlUrl = databaseUrl(options.postgresUrl, control);
    const configPath = join(dir, 'refork.yml');
    await writeFile(configPath, JSON.stringify({ protected_apps: ['fleet-prod'], pipelines: config }, null, 2));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HEROKU_API_KEY: token,
      HEROKU_API_URL: sim.url,
      HEROKU_DATA_API_URL: sim.url,
      REFORK_DATABASE_URL: controlUrl,
      REFORK_ANONYMIZE_KEY: `fleet-key-${randomBytes(12).toString('hex')}`,
      REFORK_CONFIG: configPath,
      REFORK_TIME_SCALE: String(options.scale),
      REFORK_TIME_ORIGIN: String(Date.now()),
      REFORK_LOG_LEVEL: 'warn',
      ...options.env,
    };
    const query = async <T extends pg.QueryResultRow>(sql: string) => (await adminQuery(controlUrl, sql)).rows as T[];
    return {
      sim,
      pipelines,
      stagingApps,
      controlUrl,
      startWorker: (extra = {}) => spawnCli(['worker', '--interval-seconds', '2'], { ...env, ...extra }, { killAfterMs: 3_600_000 }),
      runs: async () => {
        const rows = await query<{ pipeline: string; runs: number; succeeded: number; active: number }>(
          `SELECT pipeline, count(*)::int AS runs, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                  count(*) FILTER (WHERE status = 'active')::int AS active
             FROM refork_runs GROUP BY pipeline`,
        ).catch(() => []);
        return new Map(rows.map((row) => [row.pipeline, { runs: row.runs, succeeded: row.succeeded, active: row.active }]));
      },
      lastFinishedAt: async () => (await query<{ at: Date | null }>('SELECT max(finished_at) AS at FROM refork_runs'))[0]?.at ?? null,
      databaseNow: async () => (await query<{ now: Date }>('SELECT now() AS now'))[0]?.now ?? new Date(),
      close: async () => {
        try {
          await sim.close();
          await adminQuery(options.postgresUrl, `DROP DATABASE IF EXISTS "${control}" WITH (FORCE)`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Peak resident set of a live process (VmHWM), in MB; null once it is gone. */
export async function peakRssMb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Number.isFinite(kb) ? kb / 1024 : null;
}

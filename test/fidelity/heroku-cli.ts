// Runs the real `heroku` CLI (npm package `heroku`, a dev dependency) as a child process against
// a simulator. Its environment is built from scratch, not inherited: a developer's own
// HEROKU_API_KEY, netrc, DEBUG or NODE_OPTIONS must not reach it, and nothing may leave the
// machine (no telemetry, no update check, no autoupdate, no particleboard call).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { serverUrl } from '../support/databases.js';

/** Far longer than a test: the data API phases move only when the test says so (advanceDatabase). */
const HELD_MS = 10 * 60_000;

/**
 * The simulator the fidelity suites drive: provisioning and destroys quick, the data API held
 * until the test advances a database, releases ending almost at once (pg:promote sleeps 5 s
 * between looks at them), every request body recorded.
 */
export function fidelitySimulator(token: string): Promise<Simulator> {
  return startSimulator({
    postgresUrl: serverUrl(),
    token,
    provisionDelayMs: 50,
    dataApi404Ms: HELD_MS,
    waitingMs: HELD_MS,
    deprovisionDelayMs: 50,
    releaseDelayMs: 1,
    recordBodies: true,
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  /** Resolves when the process exits (or is killed after `timeoutMs`). */
  done: Promise<CliResult>;
}

export interface HerokuCli {
  version: string;
  start(args: string[]): RunningCli;
  run(args: string[]): Promise<CliResult>;
  /** Removes the CLI's throw-away HOME. */
  dispose(): Promise<void>;
}

/** The CLI's entry point, from its own package.json (`bin` is `./bin/run.js` in v10/v11). */
async function cliEntry(): Promise<{ path: string; version: string }> {
  const packageJson = createRequire(import.meta.url).resolve('heroku/package.json');
  const manifest = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string; bin: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin['heroku'];
  if (bin === undefined) throw new Error('the heroku package names no `heroku` bin');
  return { path: join(dirname(packageJson), bin), version: manifest.version };
}

export async function herokuCli(options: { apiUrl: string; token: string; timeoutMs?: number }): Promise<HerokuCli> {
  const entry = await cliEntry();
  const home = await mkdtemp(join(tmpdir(), 'refork-heroku-cli-'));
  const api = new URL(options.apiUrl);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    // No netrc, no stored login, no plugins, caches and git config of the developer's.
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_DATA_HOME: join(home, 'data'),
    // docs/heroku-api.md#the-heroku-cli-against-the-simulator: a full URL is the API URL (localhost/127.0.0.1 accepted); the data API
    // gets only a hostname and takes port and protocol from HEROKU_HOST.
    HEROKU_HOST: options.apiUrl,
    HEROKU_DATA_HOST: api.hostname,
    HEROKU_API_KEY: options.token,
    // GET /account would also ask particleboard about delinquency: keep that on the simulator too.
    HEROKU_PARTICLEBOARD_URL: options.apiUrl,
    // bin/run.js and the hooks read these (heroku/dist/lib/analytics-telemetry/telemetry-utils.js,
    // @oclif/plugin-update init hook, @oclif/plugin-warn-if-update-available).
    DISABLE_TELEMETRY: 'true',
    HEROKU_DISABLE_AUTOUPDATE: '1',
    HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
    HEROKU_SKIP_ANALYTICS: '1',
    NO_COLOR: '1',
    TERM: 'dumb',
  };
  const timeoutMs = options.timeoutMs ?? 60_000;

  const start = (args: string[]): RunningCli => {
    const began = Date.now();
    const child = spawn(process.execPath, ['--no-deprecation', entry.path, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const done = new Promise<CliResult>((resolve, reject) => {
      // Bounded: a CLI stuck polling is killed and reported, never waited on forever.
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - began });
      });
    });
    return { done };
  };

  return {
    version: entry.version,
    start,
    run: (args) => start(args).done,
    dispose: () => rm(home, { recursive: true, force: true }),
  };
}

/** Output for an assertion message: what the CLI said when it did not do what was expected. */
export function describeRun(args: string[], result: CliResult): string {
  return `heroku ${args.join(' ')} exited ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

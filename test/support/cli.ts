// The real CLI as a child process, from the compiled dist/ (test/support/build.ts builds it).
// No vitest import here: the corpus run (npm run corpus) uses it outside the test runner.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

/** The environment the CLI runs in against the simulator: its URLs and token, a control database, a config, a key; fast retries and polls. */
export function simulatorEnv(options: {
  simUrl: string;
  token: string;
  controlUrl: string;
  key: string;
  configPath: string;
  logLevel?: string;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HEROKU_API_KEY: options.token,
    HEROKU_API_URL: options.simUrl,
    HEROKU_DATA_API_URL: options.simUrl,
    REFORK_DATABASE_URL: options.controlUrl,
    REFORK_ANONYMIZE_KEY: options.key,
    REFORK_CONFIG: options.configPath,
    REFORK_RETRY_BASE_MS: '50',
    REFORK_POLL_MIN_MS: '30',
    REFORK_POLL_MAX_MS: '200',
    REFORK_LOG_LEVEL: options.logLevel ?? 'info',
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnedCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, options: { killAfterMs?: number } = {}): SpawnedCli {
  const child = spawn(process.execPath, [join(ROOT, 'bin/refork.js'), ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, options: { killAfterMs?: number } = {}): Promise<CliResult> {
  return spawnCli(args, env, options).done;
}

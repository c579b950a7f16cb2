// `npm run chaos -- --seeds 500` (seeds 1..500), `--seed 17` (replay one), `--from 1000`
// (first seed), `--concurrency 3`, `--no-timeouts`. Runs the sweep under vitest (it needs the
// suite's embedded PostgreSQL) and ends with exactly one line: `N seeds, K violations`,
// where K counts the seeds whose schedule broke an invariant.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '3' },
    'no-timeouts': { type: 'boolean', default: false },
  },
});

const seeds = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds ?? 50) }, (_, i) => Number(values.from) + i);
if (seeds.some((s) => !Number.isInteger(s))) {
  console.error('chaos: --seed, --seeds and --from take integers');
  process.exit(2);
}

interface Summary {
  seeds: number;
  failed: Array<{ seed: number; description: string; violations: string[] }>;
  coverage: Record<string, number>;
  ms: number;
}

const dir = await mkdtemp(join(tmpdir(), 'refork-chaos-'));
const summaryFile = join(dir, 'summary.json');
const root = new URL('..', import.meta.url).pathname;
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.chaos.config.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      CHAOS_SEEDS: seeds.join(','),
      CHAOS_SUMMARY_FILE: summaryFile,
      CHAOS_CONCURRENCY: values.concurrency,
      CHAOS_TIMEOUTS: values['no-timeouts'] ? '0' : '1',
    },
  });
  child.on('close', (status) => resolve(status ?? 1));
});

let summary: Summary;
try {
  summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
} catch {
  console.log(`the sweep did not finish (vitest exited ${code})`);
  console.log(`0 seeds, ${seeds.length} violations`);
  process.exit(1);
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const failure of summary.failed) {
  console.log(`seed ${failure.seed} (replay: npm run chaos -- --seed ${failure.seed}): ${failure.description}`);
  for (const violation of failure.violations) console.log(`  - ${violation}`);
}
console.log(
  `coverage: ${Object.entries(summary.coverage)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`,
);
console.log(`duration: ${(summary.ms / 1000).toFixed(0)} s`);
console.log(`${summary.seeds} seeds, ${summary.failed.length} violations`);
// vitest's own code counts too: a sweep test that errored outside the seeds is a failure.
if (code !== 0 && summary.failed.length === 0) console.log(`vitest exited ${code}`);
process.exit(summary.failed.length > 0 || code !== 0 ? 1 : 0);

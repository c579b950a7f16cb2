// Entry for `npm run chaos`: the seeds come from the environment (bench/chaos.ts sets them)
// and the summary goes to a file the script prints from, so its last line is the verdict.
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'vitest';
import { coverageLine, sweep } from './sweep.js';

const seeds = (process.env.CHAOS_SEEDS ?? '1').split(',').map(Number).filter(Number.isInteger);
const summaryFile = process.env.CHAOS_SUMMARY_FILE;

describe('chaos sweep (long)', () => {
  it(`runs ${seeds.length} seeded schedules`, { timeout: 24 * 3600_000 }, async () => {
    const summary = await sweep({
      seeds,
      concurrency: Number(process.env.CHAOS_CONCURRENCY ?? 3),
      allowTimeouts: process.env.CHAOS_TIMEOUTS !== '0',
    });
    console.log(`chaos coverage: ${coverageLine(summary.coverage)}`);
    if (summaryFile) {
      await writeFile(
        summaryFile,
        JSON.stringify({
          seeds: summary.results.length,
          failed: summary.failed.map((r) => ({ seed: r.seed, description: r.description, violations: r.violations })),
          coverage: summary.coverage,
          ms: summary.ms,
        }),
      );
    }
  });
});

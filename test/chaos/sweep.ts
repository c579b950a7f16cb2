// Runs many seeded schedules a few at a time and summarises them: failing seeds (with the
// command that replays each), and how often each kind of fault actually fired.
import { recordBoundaries, recordRollbackBoundaries } from '../crash/harness.js';
import { runSchedule, type ChaosResult } from './execute.js';
import { drawSchedule } from './schedule.js';

export interface SweepOptions {
  seeds: number[];
  concurrency: number;
  allowTimeouts: boolean;
  log?: (line: string) => void;
}

export interface SweepSummary {
  results: ChaosResult[];
  failed: ChaosResult[];
  coverage: Record<string, number>;
  ms: number;
}

export async function sweep(options: SweepOptions): Promise<SweepSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const began = Date.now();
  // Three clean recordings side by side: a refresh, one with maintenance mode, and a rollback with
  // maintenance mode (schedules without it crash only at its other boundaries).
  const [boundaries, withMaintenance, rollbackBoundaries] = await Promise.all([
    recordBoundaries(),
    recordBoundaries({ maintenance: true }),
    recordRollbackBoundaries({ maintenance: true, pipeline: { keep_previous: '24h' } }),
  ]);
  const maintenanceBoundaries = withMaintenance.filter((point) => !boundaries.includes(point));
  const queue = [...options.seeds];
  const results: ChaosResult[] = [];
  const worker = async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      const result = await runSchedule(
        drawSchedule(seed, { boundaries, maintenanceBoundaries, rollbackBoundaries, allowTimeouts: options.allowTimeouts }),
      );
      results.push(result);
      const verdict = result.violations.length ? `VIOLATION (replay: npm run chaos -- --seed ${seed})` : 'ok';
      log(`chaos seed ${seed}: ${verdict} ${result.status ?? 'no run'} in ${(result.ms / 1000).toFixed(1)}s [${result.fired.join(' ')}]`);
      if (result.violations.length) {
        log(`  ${result.description}`);
        for (const violation of result.violations) log(`  - ${violation}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  const coverage: Record<string, number> = {};
  for (const result of results) for (const tag of result.fired) coverage[tag] = (coverage[tag] ?? 0) + 1;
  results.sort((a, b) => a.seed - b.seed);
  return { results, failed: results.filter((r) => r.violations.length > 0), coverage, ms: Date.now() - began };
}

export function coverageLine(coverage: Record<string, number>): string {
  return Object.entries(coverage)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, n]) => `${tag}=${n}`)
    .join(' ');
}

// The README's first command: `refork demo` refreshes a seeded "production" into staging with
// no credentials and no services, shows masked rows, and leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { withScratch } from '../support/scratch.js';
import { runCli } from '../support/world.js';

/** The rows of a printed `id full_name email phone` table that follows `heading`. */
function rowsAfter(stdout: string, heading: RegExp): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => heading.test(line));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!/^\s+\d+\s/.test(line)) break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

describe('refork demo', () => {
  it('refreshes staging from a fork of production, masks it, and leaves nothing running', async () => {
    await withScratch('refork-demo-test-', async (scratch) => {
      const result = await runCli(['demo'], { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: scratch }, { killAfterMs: 90_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      for (const step of [
        'preflight → forking',
        'waiting → anonymizing',
        // The example config puts staging in maintenance mode around the swap.
        'verifying → enteringMaintenance',
        'enteringMaintenance → promoting',
        'promoting → leavingMaintenance',
        'leavingMaintenance → cleaning',
        'cleaning → succeeded',
      ])
        expect(result.stdout).toContain(step);

      const production = rowsAfter(result.stdout, /^Production/);
      const staging = rowsAfter(result.stdout, /^Staging after the refresh/);
      expect(production.length).toBeGreaterThan(0);
      expect(staging.map((row) => row[0])).toEqual(production.map((row) => row[0]));
      for (const [i, row] of staging.entries()) {
        const original = production[i] ?? [];
        expect(row[2]).toMatch(/@example\.test$/);
        expect(row[1]).not.toBe(original[1]);
        expect(row[3]?.slice(-4)).toBe(original[3]?.slice(-4));
      }

      // The embedded server's data directory is gone and no server runs from it.
      expect((await readdir(scratch)).filter((name) => name.startsWith('refork-pg-'))).toEqual([]);
      const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(processes.split('\n').filter((line) => line.includes(scratch))).toEqual([]);
    });
  });
});

import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // A bound against hangs, not a speed check: a test that spawns the CLI five times needs minutes
    // when the machine's two cores are shared with other jobs.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most suites wait on child processes and PostgreSQL rather than on this CPU.
    maxWorkers: 3,
    minWorkers: 1,
    sequence: { sequencer: LongestFirst },
  },
});

// The long chaos sweep (`npm run chaos`), kept out of the default run: same global setup
// (embedded PostgreSQL), one file, seeds from the environment.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/chaos/sweep.long.ts'],
    testTimeout: 24 * 3600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

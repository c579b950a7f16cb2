// The CLI's start through its bundle and code cache (src/cli/launch.ts), on a stand-in bundle: what
// it prints shows that it ran as CommonJS at its own path; the cache files show what was written.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withScratch } from '../support/scratch.js';

const LAUNCH = new URL('../../dist/src/cli/launch.js', import.meta.url).href;

const BUNDLE = `
function greet(name) { return 'hello ' + name; }
console.log(JSON.stringify({ greeting: greet(process.argv[2]), file: __filename, exported: typeof module.exports }));
`;

/** Starts `bundle` as bin/refork.js does, with `command` as the process's first argument. */
function start(bundle: string, command: string) {
  const starter = join(dirname(bundle), 'start.mjs');
  writeFileSync(starter, `const { launch } = await import(${JSON.stringify(LAUNCH)});\nlaunch(${JSON.stringify(bundle)});\n`);
  const result = spawnSync(process.execPath, [starter, command], { encoding: 'utf8' });
  return {
    code: result.status,
    stderr: result.stderr,
    output: JSON.parse(result.stdout.trim() || 'null') as Record<string, string> | null,
  };
}

const caches = async (dir: string) =>
  (await readdir(join(dir, '.cache')).catch(() => [] as string[])).filter((f) => f.endsWith('.v8')).sort();

describe('launching the bundle', () => {
  it('runs it as a CommonJS module at its own path, and writes one code cache per command, used from then on', async () => {
    await withScratch('refork-launch-', async (dir) => {
      const bundle = join(dir, 'refork.cjs');
      await writeFile(bundle, BUNDLE);
      expect(start(bundle, 'status').output).toEqual({ greeting: 'hello status', file: bundle, exported: 'object' });
      const [first, ...others] = await caches(dir);
      expect(others).toEqual([]);
      expect(first).toMatch(new RegExp(`^[0-9a-f]{16}-status-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
      const written = await stat(join(dir, '.cache', first ?? ''));

      // Accepted, so left as it was; another command gets its own.
      expect(start(bundle, 'status').output?.greeting).toBe('hello status');
      expect((await stat(join(dir, '.cache', first ?? ''))).ino).toBe(written.ino);
      expect(start(bundle, 'run').output?.greeting).toBe('hello run');
      expect((await caches(dir)).length).toBe(2);
      // Not a command: one shared name, never a path.
      expect(start(bundle, '../../etc').output?.greeting).toBe('hello ../../etc');
      expect((await caches(dir)).filter((f) => f.includes('-other-')).length).toBe(1);
    });
  });

  it('never runs a stale cache: a rebuilt bundle gets a new one, and a damaged one is rejected and rewritten', async () => {
    await withScratch('refork-launch-', async (dir) => {
      const bundle = join(dir, 'refork.cjs');
      await writeFile(bundle, BUNDLE);
      start(bundle, 'status');
      const [old] = await caches(dir);
      // The same length, other code: V8's own check would not tell them apart.
      await writeFile(bundle, BUNDLE.replace("'hello '", "'HELLO '"));
      expect(start(bundle, 'status').output?.greeting).toBe('HELLO status');
      expect((await caches(dir)).filter((f) => f !== old).length).toBe(1);

      const [current] = (await caches(dir)).filter((f) => f !== old);
      const file = join(dir, '.cache', current ?? '');
      await writeFile(file, Buffer.alloc(4096, 7));
      expect(start(bundle, 'status').output?.greeting).toBe('HELLO status');
      expect((await readFile(file)).equals(Buffer.alloc(4096, 7))).toBe(false);
    });
  });

  it('runs without a cache where none can be written', async () => {
    await withScratch('refork-launch-', async (dir) => {
      const bundle = join(dir, 'refork.cjs');
      await writeFile(bundle, BUNDLE);
      // A file where the cache folder would go: nothing can be written there, even as root.
      await writeFile(join(dir, '.cache'), 'not a folder');
      const started = start(bundle, 'status');
      expect(started.code, started.stderr).toBe(0);
      expect(started.output?.greeting).toBe('hello status');
    });
  });
});

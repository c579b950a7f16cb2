// Starts the CLI from its one-file bundle (dist/refork.cjs, scripts/bundle.mjs) through a V8 code
// cache: a `refork` process otherwise spends most of its start-up resolving, reading and compiling
// some 700 modules, and the scheduler, the workers and the test suites start it hundreds of times
// (docs/deploying.md#one-file-and-a-code-cache). Node 20 has no built-in compile cache, so this is
// the documented vm.Script one: `cachedData` in, `createCachedData()` out.
//
// The cache is named by a digest of the bundle, the command, the Node version and the architecture,
// so a rebuilt bundle or another Node never meets a stale one (V8's own check looks at the source's
// length, not its content), and it is written once, at exit, when it was missing or rejected: by
// then it holds the functions the command compiled, not only the top level. It lives beside the
// bundle, exactly as writable as the code itself; where it cannot be written (a read-only
// install), the CLI runs without it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Where the code cache of `bundle` (its bytes given) lives for `command`: one per command, since
 * each compiles its own part of the bundle (`status` never compiles the masking engine).
 */
function cacheFile(bundle: string, bytes: Buffer, command: string | undefined): string {
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const name = command !== undefined && /^[a-z][a-z-]{0,19}$/.test(command) ? command : 'other';
  return join(dirname(bundle), '.cache', `${digest}-${name}-${process.version}-${process.arch}.v8`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written under a unique name and renamed into place: a process reading it never sees half. */
function writeCache(file: string, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, data);
    renameSync(partial, file);
  } catch {
    // A read-only install runs without a cache; nothing to report.
  }
}

/** Runs the CommonJS bundle at `bundle` as a module of its own, with its code cache. */
export function launch(bundle: string): void {
  // Read once: the digest is of these bytes, and the script is their text.
  const bytes = readFileSync(bundle);
  const file = cacheFile(bundle, bytes, process.argv[2]);
  const source = bytes.toString('utf8');
  const cached = readCache(file);
  const script = new Script(Module.wrap(source), { filename: bundle, ...(cached ? { cachedData: cached } : {}) });
  if (!cached || script.cachedDataRejected === true) process.once('exit', () => writeCache(file, script.createCachedData()));
  const module = { exports: {} };
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: object,
    filename: string,
    dirname: string,
  ) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

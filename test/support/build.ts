// The suites run the CLI as child processes from the compiled dist/ (as users do), so the build
// must match the sources under test: `npm run build`'s two steps, an incremental compile (a no-op
// when nothing changed) and the bundle bin/refork.js starts (scripts/bundle.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

export function buildCli(): void {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  for (const step of [[tsc, '-p', 'tsconfig.build.json'], [join(ROOT, 'scripts/bundle.mjs')]]) {
    const result = spawnSync(process.execPath, step, { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`npm run build failed before the tests:\n${result.stdout}${result.stderr}`);
  }
}

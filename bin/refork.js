#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`): one bundled file, started through a code
// cache (dist/src/cli/launch.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/refork.cjs', import.meta.url));
const launcher = new URL('../dist/src/cli/launch.js', import.meta.url);
if (!existsSync(bundle) || !existsSync(launcher)) {
  console.error('refork: the compiled CLI is missing (dist/): run `npm run build` in the package directory');
  process.exit(1);
}
const { launch } = await import(launcher.href);
launch(bundle);

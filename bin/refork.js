#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`; `npm ci` in a checkout builds it too).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('refork: the compiled CLI is missing (dist/): run `npm run build` in the package directory');
  process.exit(1);
}
await import(main.href);

// Bundles the compiled CLI (dist/src/cli/main.js and everything it imports, dependencies
// included) into one CommonJS file, dist/refork.cjs, which bin/refork.js runs with a V8 code
// cache (src/cli/launch.ts; docs/deploying.md#one-file-and-a-code-cache). Run by `npm run build`
// after tsc.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/refork.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // knex's other dialects and pg's native binding are required only when used, and never are.
  external: ['pg-native', 'pg-query-stream', 'mysql', 'mysql2', 'sqlite3', 'better-sqlite3', 'tedious', 'oracledb', 'mariadb'],
  // The two modules that read import.meta.url (package-root.ts, pg/embedded.ts) get the bundle's own URL.
  define: { 'import.meta.url': '__refork_bundle_url' },
  banner: { js: "var __refork_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

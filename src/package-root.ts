// Files shipped beside the code (package.json, refork.example.yml) are found from the package's
// root, which sits at a different depth from the TypeScript sources than from the compiled
// dist/ tree: walk up to the package.json that names refork.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'refork') return dir;
      } catch {
        // Not ours, or unreadable: keep walking up.
      }
    }
    if (dirname(dir) === dir) throw new Error(`refork's package.json was not found above ${from}`);
  }
}

let root: string | undefined;

/** A file shipped in the package, by its path from the package root. */
export function packageFile(path: string): string {
  root ??= findRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, path);
}

// refork's version (`refork --version`, the User-Agent `refork/<version>`), read once from package.json.
import { readFileSync } from 'node:fs';
import { packageFile } from './package-root.js';

function readVersion(): string {
  try {
    const text = readFileSync(packageFile('package.json'), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // An unusual install layout is no reason to fail requests; fall through.
  }
  return 'unknown';
}

export const reforkVersion = readVersion();

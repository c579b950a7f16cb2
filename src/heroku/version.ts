// refork's version for the User-Agent (`refork/<version>`), read once from package.json.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // src/heroku/ → repository root, both under tsx and from a build that keeps the layout.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // An unusual install layout is no reason to fail requests; fall through.
  }
  return 'unknown';
}

export const defaultUserAgent = `refork/${readVersion()}`;

// Every string that leaves refork (log line, error, status output, event row) passes through
// here: registered secrets are replaced and credentials are cut out of connection URLs.
const secrets = new Set<string>();

/** Registers a value (API token, database password, anonymization key) to be masked everywhere. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** `postgres://user:pass@host/db` → `postgres://user:***@host/db`; any scheme. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]+):([^@/\s]+)@/gi;
const BEARER = /(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, '$1$2:***@').replace(BEARER, '$1 ***');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** Deep-redacts a JSON-like value (log metadata, event details). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactValue(item);
    return out as T;
  }
  return value;
}

/** A URL for display: host, port and database, never the user's password. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return redact(url);
  }
}

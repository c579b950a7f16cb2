// Connection settings for a database URL handed out by Heroku (or the simulator).
import type pg from 'pg';
import { registerSecret } from '../log/redact.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Heroku Postgres requires TLS but its certificates are not publicly verifiable, and pg reads
 * `sslmode=require` in a URL as full verification: so no sslmode in the URL, and
 * `rejectUnauthorized: false` (docs/heroku-api.md#tls). Local servers get no TLS.
 */
export function clientConfig(connectionString: string): pg.ClientConfig {
  const url = new URL(connectionString);
  registerSecret(decodeURIComponent(url.password));
  url.searchParams.delete('sslmode');
  const local = LOCAL_HOSTS.has(url.hostname);
  return {
    connectionString: url.toString(),
    ssl: local ? false : { rejectUnauthorized: false },
    application_name: 'refork',
  };
}

// Connection to the control database. Heroku Postgres requires TLS with certificates that
// are not publicly verifiable, and pg reads `sslmode=require` as verify-full, so remote
// hosts get TLS without verification unless the URL asks for verification explicitly.
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../log/logger.js';
import { redact } from '../log/redact.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1', '']);
// Parameters pg would turn into its own (verifying) TLS settings, overriding ours.
const SSL_PARAMS = ['sslmode', 'ssl', 'sslcert', 'sslkey', 'sslrootcert', 'uselibpqcompat'];

/** pg client settings for a control database URL; pure, so the TLS decision is testable. */
export function connectionConfig(connectionString: string): Knex.PgConnectionConfig {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new Error('the control database URL is not a valid URL; expected postgres://user:password@host:5432/database');
  }
  const common: Knex.PgConnectionConfig = { application_name: 'refork', keepAlive: true };
  const sslmode = url.searchParams.get('sslmode');
  // A host starting with %2F is a Unix socket directory: local, no TLS.
  const local = LOCAL_HOSTS.has(url.hostname) || url.hostname.toLowerCase().startsWith('%2f');
  if (local || sslmode === 'disable') return { ...common, connectionString };
  // An operator who asks for verification gets it (pg verifies the chain and host name).
  if (sslmode === 'verify-ca' || sslmode === 'verify-full') return { ...common, connectionString };
  for (const param of SSL_PARAMS) url.searchParams.delete(param);
  return { ...common, connectionString: url.toString(), ssl: { rejectUnauthorized: false } };
}

// knex's own advice on a held migration lock names `knex migrate:unlock`, which refork users
// do not have; migrateToLatest throws an error naming refork's command instead.
const KNEX_LOCK_HINT = /Can't take lock to run migrations|knex migrate:unlock/;

/**
 * A small pool: refork makes a handful of short writes per transition and a heartbeat.
 * knex's warnings go to `logger` (or stderr), never to stdout, which `--json` output owns.
 */
export function createKnex(connectionString: string, options: { logger?: Logger } = {}): Knex {
  const { logger } = options;
  const warn = (message: unknown): void => {
    const text = redact(String(message));
    if (KNEX_LOCK_HINT.test(text)) return;
    if (logger) logger.warn(text, { component: 'knex' });
    else process.stderr.write(`knex: ${text}\n`);
  };
  return knexFactory({
    client: 'pg',
    connection: connectionConfig(connectionString),
    pool: { min: 0, max: 4 },
    acquireConnectionTimeout: 30_000,
    log: {
      warn,
      error: warn,
      deprecate: (method, alternative) => warn(`${method} is deprecated, use ${alternative}`),
      debug: () => {},
    },
  });
}

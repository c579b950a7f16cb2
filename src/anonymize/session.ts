// Everything one masking session needs from the server before it writes: settings suited to long
// set-based statements, pgcrypto located (or installed), and errors made safe to show.
import type pg from 'pg';
import { redact } from '../log/redact.js';
import { quoteIdent } from './quote.js';

export async function prepareSession(client: pg.Client): Promise<void> {
  // A masking UPDATE on a big table legitimately runs for minutes; a lock we cannot get within
  // a few minutes means something else is using the fork, which should fail the run, not hang it.
  await client.query(`SET statement_timeout = 0`);
  await client.query(`SET lock_timeout = '5min'`);
  await client.query(`SET idle_in_transaction_session_timeout = 0`);
  await client.query(`SET application_name = 'refork-anonymize'`);
}

/** The quoted schema pgcrypto is installed in, if it is. */
export async function locateExistingPgcrypto(client: pg.Client): Promise<string | undefined> {
  const result = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'`,
  );
  const schema = result.rows[0]?.schema;
  return schema === undefined ? undefined : quoteIdent(schema);
}

/** The quoted schema of pgcrypto, installing it when missing (it is a trusted extension: the owner may). */
export async function locatePgcrypto(client: pg.Client): Promise<string> {
  const existing = await locateExistingPgcrypto(client);
  if (existing) return existing;
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  } catch (error) {
    throw new Error(
      `pgcrypto is needed for keyed masks and could not be installed in the fork: ${messageOf(error)}; run CREATE EXTENSION pgcrypto on the production database`,
    );
  }
  const created = await locateExistingPgcrypto(client);
  if (!created) throw new Error('pgcrypto is needed for keyed masks but is not installed after CREATE EXTENSION');
  return created;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error message with the key and any connection credentials cut out. */
export function scrub(text: string, key: string): string {
  const withoutKey = key.length > 0 ? text.split(key).join('***') : text;
  return redact(withoutKey);
}

/** The current backend's pid, so another session can cancel its statement on abort. */
export async function backendPid(client: pg.Client): Promise<number> {
  const result = await client.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid');
  const pid = result.rows[0]?.pid;
  if (pid === undefined) throw new Error('could not read the backend pid');
  return pid;
}

// Everything one masking session needs from the server before it writes: settings suited to long
// set-based statements, and errors made safe to show.
import type pg from 'pg';
import { redact } from '../log/redact.js';

export async function prepareSession(client: pg.Client): Promise<void> {
  // A masking UPDATE on a big table legitimately runs for minutes; a lock we cannot get within
  // a few minutes means something else is using the fork, which should fail the run, not hang it.
  await client.query(`SET statement_timeout = 0`);
  await client.query(`SET lock_timeout = '5min'`);
  await client.query(`SET idle_in_transaction_session_timeout = 0`);
  await client.query(`SET application_name = 'refork-anonymize'`);
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

// Rows as pg returns them (snake_case, bigint as string, timestamptz as Date, jsonb parsed)
// mapped to the store's records.
import type { Lease, PersistedSnapshot, RunEvent, RunKind, RunRecord, RunStatus } from './types.js';

export interface RunRow {
  id: string;
  pipeline: string;
  kind: RunKind;
  status: RunStatus;
  state: string;
  snapshot: PersistedSnapshot;
  machine_version: number;
  lease_owner: string | null;
  lease_token: string;
  lease_expires_at: Date | null;
  abort_requested_at: Date | null;
  not_before: Date | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface RunEventRow {
  run_id: string;
  seq: number;
  from_state: string | null;
  to_state: string | null;
  type: string;
  detail: Record<string, unknown>;
  at: Date;
}

/** The lease columns of a run, as returned by the statements that acquire or renew one. */
export type LeaseRow = Pick<RunRow, 'id' | 'lease_owner' | 'lease_token' | 'lease_expires_at'>;

/** The token is a bigint; it grows by one per acquisition, so it stays far below 2^53. */
function tokenFrom(value: string): number {
  return Number(value);
}

export function runFromRow(row: RunRow): RunRecord {
  return {
    id: row.id,
    pipeline: row.pipeline,
    kind: row.kind,
    status: row.status,
    state: row.state,
    snapshot: row.snapshot,
    machineVersion: row.machine_version,
    leaseOwner: row.lease_owner,
    leaseToken: tokenFrom(row.lease_token),
    leaseExpiresAt: row.lease_expires_at,
    abortRequestedAt: row.abort_requested_at,
    notBefore: row.not_before,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function eventFromRow(row: RunEventRow): RunEvent {
  return {
    runId: row.run_id,
    seq: row.seq,
    from: row.from_state,
    to: row.to_state,
    type: row.type,
    detail: row.detail,
    at: row.at,
  };
}

/** Only for rows just written by an acquisition or renewal, which always set owner and expiry. */
export function leaseFromRow(row: LeaseRow): Lease {
  if (row.lease_owner === null || row.lease_expires_at === null) {
    throw new Error(`run ${row.id} has no lease owner or expiry after taking its lease`);
  }
  return { runId: row.id, owner: row.lease_owner, token: tokenFrom(row.lease_token), expiresAt: row.lease_expires_at };
}

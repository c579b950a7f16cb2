// The fence every lease holder's write carries. The token is the proof of ownership: it
// grows on every acquisition, so once another process claims the run all of the previous
// holder's writes match no row. Expiry is deliberately not part of the fence: it only
// decides when others may claim. A holder whose lease expired but was not yet claimed still
// owns the run (no one else has acted) and may write and renew.
import type { Lease } from './types.js';

/** A WHERE condition on `refork_runs`; pair it with `fenceBindings`. */
export const FENCE = 'id = :runId AND lease_token = :token AND lease_owner = :owner';

export function fenceBindings(lease: Lease): { runId: string; token: number; owner: string } {
  return { runId: lease.runId, token: lease.token, owner: lease.owner };
}

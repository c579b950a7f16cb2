import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../src/runner/lease-keeper.js';
import type { ControlStore, Lease } from '../../src/store/types.js';

const lease = { runId: 'r', owner: 'o', token: 1, expiresAt: new Date() } as unknown as Lease;

function storeWhere(renewLease: () => Promise<Lease | null>): ControlStore {
  return { renewLease } as unknown as ControlStore;
}

const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('LeaseKeeper', () => {
  it('cancels the step in flight at its deadline while the control database is unreachable', async () => {
    const keeper = new LeaseKeeper(
      storeWhere(() => Promise.reject(new Error('ECONNREFUSED'))),
      lease,
      300,
      performance.now(),
    );
    keeper.start();
    try {
      // Nobody reads `keeper.lost`: the signal alone must fire, at 0.8 × TTL after acquiring.
      await aborted(keeper.lostSignal);
      expect(keeper.lost).toBe('lease deadline passed without a renewal');
    } finally {
      keeper.stop();
    }
  });

  it('stays live while renewals succeed', async () => {
    const keeper = new LeaseKeeper(
      storeWhere(() => Promise.resolve(lease)),
      lease,
      300,
      performance.now(),
    );
    keeper.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect(keeper.lostSignal.aborted).toBe(false);
      expect(keeper.lost).toBeNull();
    } finally {
      keeper.stop();
    }
  });

  it('renews at once when a slow claim left less than a renewal period before its deadline', async () => {
    let renewals = 0;
    const keeper = new LeaseKeeper(
      storeWhere(() => {
        renewals += 1;
        return Promise.resolve(lease);
      }),
      lease,
      300,
      performance.now() - 200, // the claim took 200 ms of a 240 ms safe window
    );
    keeper.start();
    try {
      expect(renewals).toBe(1);
      // Past the deadline the claim alone would have had, the lease is still held.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(keeper.lost).toBeNull();
    } finally {
      keeper.stop();
    }
  });

  it('stops at once when a renewal finds the lease taken over', async () => {
    const keeper = new LeaseKeeper(
      storeWhere(() => Promise.resolve(null)),
      lease,
      300,
      performance.now(),
    );
    keeper.start();
    try {
      await aborted(keeper.lostSignal);
      expect(keeper.lost).toBe('lease taken over by another runner');
    } finally {
      keeper.stop();
    }
  });
});

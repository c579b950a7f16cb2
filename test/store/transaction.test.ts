import { describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/store/transaction.js';
import { startedRun, waitUntilExpired, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('writeTransaction', () => {
  it('frees a stalled writer’s row lock after the idle timeout, so a claim is not blocked for good', async () => {
    const { run } = await startedRun(t.store, { leaseTtlMs: 200 });
    await waitUntilExpired(t.store, run.id);
    let resume: () => void = () => {};
    let locked: () => void = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const stalled = writeTransaction(
      t.knex,
      async (trx) => {
        await trx.raw('SELECT id FROM refork_runs WHERE id = ? FOR UPDATE', [run.id]);
        locked();
        // Stands for a process that froze (or lost its network) with the transaction open.
        await new Promise<void>((resolve) => {
          resume = resolve;
        });
      },
      300,
    );
    stalled.catch(() => {});
    await lockTaken;
    expect(await t.store.claimRun(run.id, 'worker-b', 60_000)).toMatchObject({ owner: 'worker-b', token: 2 });
    resume();
    await expect(stalled).rejects.toThrow();
  });
});

// SIGKILL at every side-effect boundary of a run, then resume: one fork, nothing leaked, the
// old database destroyed only after promotion, DATABASE never unanonymized, run succeeded.
// The boundaries are split into shards (files) so vitest runs them on every core.
import { describe, expect, it } from 'vitest';
import { crashEveryBoundary } from './shard.js';

describe('crash at every boundary (shard 1 of 2)', () => {
  it('resumes to a clean success from a SIGKILL at each boundary', { timeout: 600_000 }, async () => {
    const { results, total } = await crashEveryBoundary(0, 2);
    expect(total).toBeGreaterThan(30);
    expect(results.filter((r) => r.violations.length)).toEqual([]);
    expect(results.filter((r) => !r.reached).map((r) => r.point)).toEqual([]);
  });
});

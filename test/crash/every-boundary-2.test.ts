// SIGKILL at every side-effect boundary of a run, then resume: one fork, nothing leaked, the
// old database destroyed only after promotion, DATABASE never unanonymized, run succeeded.
// The boundaries are split into shards (files) so vitest runs them on every core.
import { describe, expect, it } from 'vitest';
import { crashEveryBoundary, isRepeatPoll } from './shard.js';

describe('crash at every boundary (shard 2 of 2)', () => {
  it('resumes to a clean success from a SIGKILL at each boundary', { timeout: 600_000 }, async () => {
    const { results, total } = await crashEveryBoundary(1, 2);
    expect(total).toBeGreaterThan(30);
    expect(results.filter((r) => r.violations.length)).toEqual([]);
    // Every boundary must really be hit, except repeat polls, whose count depends on timing.
    expect(results.filter((r) => !r.reached && !isRepeatPoll(r.point)).map((r) => r.point)).toEqual([]);
  });
});

// Heroku's plan list as refork keeps it (docs/heroku-api.md#plan-storage): each plan's disk, and
// the smallest plan of a tier that holds a database of a given size.
import { describe, expect, it } from 'vitest';
import { GB } from '../../src/bytes.js';
import { planStorageBytes, smallestPlanHolding } from '../../src/heroku/plan-storage.js';

describe('plan storage', () => {
  it('gives every tier of a level the same disk, and nothing for a plan it does not list', () => {
    expect(planStorageBytes('heroku-postgresql:standard-0')).toBe(64 * GB);
    expect(planStorageBytes('premium-4')).toBe(768 * GB);
    expect(planStorageBytes('heroku-postgresql:shield-6')).toBe(1536 * GB);
    expect(planStorageBytes('heroku-postgresql:private-xl-9')).toBe(6 * 1024 * GB);
    for (const unknown of ['heroku-postgresql:standard-10', 'heroku-postgresql:standard-l-6', 'heroku-postgresql:essential-0', 'mini'])
      expect(planStorageBytes(unknown), unknown).toBeUndefined();
  });

  it('names the smallest plan of the same tier that holds the data (a 70 GB database on standard-0 needs standard-2)', () => {
    expect(smallestPlanHolding(70 * GB, 'heroku-postgresql:standard-0')).toEqual({ plan: 'heroku-postgresql:standard-2', bytes: 256 * GB });
    expect(smallestPlanHolding(1.6 * 1024 * GB, 'heroku-postgresql:premium-0')).toEqual({
      plan: 'heroku-postgresql:premium-l-6',
      bytes: 2048 * GB,
    });
    expect(smallestPlanHolding(1.6 * 1024 * GB, 'heroku-postgresql:standard-0')).toEqual({
      plan: 'heroku-postgresql:standard-7',
      bytes: 2048 * GB,
    });
    expect(smallestPlanHolding(7 * 1024 * GB, 'heroku-postgresql:shield-0')).toBeUndefined();
  });
});

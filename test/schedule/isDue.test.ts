import { describe, expect, it } from 'vitest';
import { isDue } from '../../src/schedule/index.js';

const at = (iso: string) => new Date(iso);
const NIGHTLY = '0 3 * * *';

describe('isDue', () => {
  it('is due once the scheduled instant after the last start has passed', () => {
    expect(isDue(NIGHTLY, 'UTC', at('2026-01-09T03:00:05Z'), at('2026-01-10T03:05:00Z'))).toBe(true);
  });

  it('is due exactly at the scheduled instant', () => {
    expect(isDue(NIGHTLY, 'UTC', at('2026-01-09T03:00:05Z'), at('2026-01-10T03:00:00Z'))).toBe(true);
  });

  it('is not due before the next scheduled instant', () => {
    expect(isDue(NIGHTLY, 'UTC', at('2026-01-09T03:00:05Z'), at('2026-01-10T02:59:59Z'))).toBe(false);
  });

  it('does not count the instant a run started at again', () => {
    expect(isDue(NIGHTLY, 'UTC', at('2026-01-10T03:00:00Z'), at('2026-01-10T09:00:00Z'))).toBe(false);
  });

  it('is due once, not once per missed instant, after days without ticks', () => {
    const last = at('2026-01-01T03:00:01Z');
    expect(isDue(NIGHTLY, 'UTC', last, at('2026-01-10T12:00:00Z'))).toBe(true);
  });

  it('honours the time zone', () => {
    // 03:00 in New York is 08:00 UTC in January.
    const last = at('2026-01-09T08:00:01Z');
    expect(isDue(NIGHTLY, 'America/New_York', last, at('2026-01-10T07:59:00Z'))).toBe(false);
    expect(isDue(NIGHTLY, 'America/New_York', last, at('2026-01-10T08:00:00Z'))).toBe(true);
  });

  it('is due for a pipeline that never ran when an instant lies in the last 24 hours', () => {
    expect(isDue(NIGHTLY, 'UTC', null, at('2026-01-10T12:00:00Z'))).toBe(true);
  });

  it('is not due for a pipeline that never ran when no instant lies in the last 24 hours', () => {
    // Mondays only; 2026-01-10 is a Saturday.
    expect(isDue('0 3 * * 1', 'UTC', null, at('2026-01-10T12:00:00Z'))).toBe(false);
  });

  it('is not due when the last start lies after now (clock skew)', () => {
    expect(isDue(NIGHTLY, 'UTC', at('2026-01-10T12:00:00Z'), at('2026-01-10T11:00:00Z'))).toBe(false);
  });

  it('throws for an invalid expression', () => {
    expect(() => isDue('every night', 'UTC', null, at('2026-01-10T12:00:00Z'))).toThrow(/invalid schedule/);
  });
});

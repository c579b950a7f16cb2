import { describe, expect, it } from 'vitest';
import { nextRun, validateSchedule } from '../../src/schedule/index.js';

const at = (iso: string) => new Date(iso);

describe('nextRun', () => {
  it('reads the expression in the given time zone in winter', () => {
    expect(nextRun('0 3 * * *', 'Europe/Berlin', at('2026-01-10T00:00:00Z'))).toEqual(at('2026-01-10T02:00:00Z'));
  });

  it('reads the expression in the given time zone in summer', () => {
    expect(nextRun('0 3 * * *', 'Europe/Berlin', at('2026-07-10T00:00:00Z'))).toEqual(at('2026-07-10T01:00:00Z'));
  });

  it('returns an instant strictly after the given one', () => {
    expect(nextRun('0 3 * * *', 'UTC', at('2026-01-10T03:00:00Z'))).toEqual(at('2026-01-11T03:00:00Z'));
  });

  it('returns the instant just ahead when the given one is a fraction of a second before it', () => {
    expect(nextRun('0 3 * * *', 'UTC', at('2026-01-10T02:59:59.500Z'))).toEqual(at('2026-01-10T03:00:00Z'));
  });

  it('runs an hour later, not never, when the local time is skipped by a spring-forward change', () => {
    // 2026-03-29 02:30 does not exist in Berlin (02:00 CET → 03:00 CEST).
    expect(nextRun('30 2 * * *', 'Europe/Berlin', at('2026-03-29T00:00:00Z'))).toEqual(at('2026-03-29T01:30:00Z'));
  });

  it('runs once when the local time occurs twice on a fall-back day', () => {
    // 2026-10-25 02:30 occurs at 00:30Z (CEST) and again at 01:30Z (CET).
    const first = nextRun('30 2 * * *', 'Europe/Berlin', at('2026-10-24T22:00:00Z'));
    expect(first.toISOString().slice(0, 10)).toBe('2026-10-25');
    expect(nextRun('30 2 * * *', 'Europe/Berlin', first)).toEqual(at('2026-10-26T01:30:00Z'));
  });

  it('accepts nicknames such as @daily', () => {
    expect(nextRun('@daily', 'UTC', at('2026-01-10T12:00:00Z'))).toEqual(at('2026-01-11T00:00:00Z'));
  });
});

describe('validateSchedule', () => {
  it('rejects an expression with the wrong number of fields, naming the expected form', () => {
    expect(() => validateSchedule('0 3 * *', 'UTC')).toThrow(/invalid schedule "0 3 \* \*".*e\.g\. "0 3 \* \* \*"/);
    // Found by the config parser's property test: the pattern was quoted back with its line break.
    expect(() => validateSchedule('line\nbreak', 'UTC')).toThrow(/^invalid schedule "line\\nbreak": [^\n]*$/);
  });

  it('rejects an out-of-range field, naming the field', () => {
    expect(() => validateSchedule('61 * * * *', 'UTC')).toThrow(/minute: 61/);
  });

  it('rejects an expression that never fires', () => {
    expect(() => validateSchedule('0 0 30 2 *', 'UTC')).toThrow(/never fires/);
  });

  it('rejects an unknown time zone, naming the expected form', () => {
    expect(() => validateSchedule('0 3 * * *', 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus".*IANA name/);
  });

  it('reports errors on one line', () => {
    expect(() => validateSchedule('nonsense', 'UTC')).toThrow(/^[^\n]+$/);
  });
});

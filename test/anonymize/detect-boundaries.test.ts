// The value detectors the gates run on sampled values and statistics: anchored on boundaries, so
// digit groups inside identifiers are not phone numbers, and linear in the length of the text.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../src/anonymize/detect.js';

/** A version 7 uuid: 48 bits of milliseconds, then random bits (RFC 9562). */
function uuidv7(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0') + '7' + randomBytes(10).toString('hex').slice(1, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

describe('detectPii', () => {
  it('finds nothing personal in uuids, alone, in arrays or in json', () => {
    const start = Date.parse('2025-01-01T00:00:00Z');
    const values = Array.from({ length: 5000 }, (_, i) => [uuidv7(start + i * 7919), randomUUID()]).flat();
    const flagged = values.filter((value) => detectPii(value).size > 0);
    expect(flagged).toEqual([]);
    expect(detectPii(`{${values.slice(0, 50).join(',')}}`)).toEqual(new Set());
    expect(detectPii(JSON.stringify({ ids: values.slice(0, 50) }))).toEqual(new Set());
  });

  it('still finds phone numbers written the usual ways', () => {
    for (const phone of ['+33 6 12 34 56 78', '+1-202-555-0101', '020 7946 0958', 'call (415) 796-0132 today', 'tel:+442079460958']) {
      expect(detectPii(phone), phone).toContain('phone');
    }
  });

  it('reads a long value without an @ in linear time', () => {
    // Quadratic backtracking would need some 10^10 steps here: minutes, not the moment it takes.
    const long = 'a1'.repeat(100_000);
    const started = performance.now();
    expect(detectPii(long)).toEqual(new Set());
    expect(detectPii(`${long} x@mail.com`)).toEqual(new Set(['email']));
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it("finds IBANs only in a country's own length, not in upper-case hex", () => {
    expect(detectPii('pay to DE89 3704 0044 0532 0130 00 please')).toContain('iban');
    expect(detectPii('GB29NWBK60161331926819')).toContain('iban');
    const hex = Array.from({ length: 3000 }, () => `U${randomBytes(8).toString('hex').toUpperCase()}@EXAMPLE.TEST`);
    expect(hex.filter((value) => detectPii(value).has('iban'))).toEqual([]);
  });
});

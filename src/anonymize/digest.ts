// Numbers read out of a keyed digest: below both the strategies and the dictionary fakes that
// turn one HMAC into several independent choices (which first name, which street, which digits).

/** The hex text of a raw digest (bytea) expression. */
export function hexDigest(raw: string): string {
  return `pg_catalog.encode(${raw}, 'hex')`;
}

/** A non-negative integer below 2^32 taken from bytes [offset, offset+4) of a hex digest expression. */
export function hmacInt32(hex: string, offset = 0): string {
  return `(('x' || pg_catalog.substr(${hex}, ${offset * 2 + 1}, 8))::bit(32)::int8)`;
}

/**
 * The same number read from the bytes of a raw digest: four get_byte() calls instead of parsing
 * hex, a quarter of the cost, but four references to `raw`. So only for a digest computed once
 * per row and referred to by name (stage.ts); inline, each reference would recompute the HMAC.
 */
export function bytesInt32(raw: string, offset = 0): string {
  const byte = (at: number) => `pg_catalog.get_byte(${raw}, ${offset + at})`;
  return `((${byte(0)}::int8 << 24) | (${byte(1)}::int8 << 16) | (${byte(2)}::int8 << 8) | ${byte(3)}::int8)`;
}

/** Bytes in a SHA-256 digest: a number (four bytes) is read at an offset from 0 to 28. */
export const DIGEST_BYTES = 32;

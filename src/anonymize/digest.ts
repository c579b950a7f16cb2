// Numbers read out of a keyed digest: below both the strategies and the dictionary fakes that
// turn one HMAC into several independent choices (which first name, which street, which digits).

/** A non-negative integer below 2^32 taken from bytes [offset, offset+4) of a hex digest expression. */
export function hmacInt32(hex: string, offset = 0): string {
  return `(('x' || pg_catalog.substr(${hex}, ${offset * 2 + 1}, 8))::bit(32)::int8)`;
}

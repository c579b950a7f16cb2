// HMAC-SHA256 (RFC 2104) computed by PostgreSQL's built-in sha256() (PostgreSQL 11+), so masking
// and previews need no extension in production or in the fork. The key never reaches the server
// as such: only its inner and outer padded blocks do, as bind parameters. Those are as secret as
// the key (anyone holding them can compute the same pseudonyms) and are treated like it.
// textsend() hands over the text's bytes in the database encoding, as pgcrypto's hmac(text, …)
// did, so every pseudonym is bit for bit what it was when pgcrypto computed it.
import { createHash } from 'node:crypto';

const BLOCK = 64;

export interface HmacPads {
  /** key ⊕ 0x36 over one SHA-256 block. */
  inner: Buffer;
  /** key ⊕ 0x5c over one SHA-256 block. */
  outer: Buffer;
}

export function hmacPads(key: string): HmacPads {
  const bytes = Buffer.from(key, 'utf8');
  // A key longer than a block is hashed first (RFC 2104 §2); a shorter one is zero-padded.
  const block = Buffer.alloc(BLOCK);
  (bytes.length > BLOCK ? createHash('sha256').update(bytes).digest() : bytes).copy(block);
  return { inner: block.map((byte) => byte ^ 0x36) as Buffer, outer: block.map((byte) => byte ^ 0x5c) as Buffer };
}

/** The SQL for the raw 32-byte HMAC of `text` (a text expression), given the pads' placeholders. */
export function hmacSql(text: string, pads: { inner: string; outer: string }): string {
  return `pg_catalog.sha256(${pads.outer}::bytea || pg_catalog.sha256(${pads.inner}::bytea || pg_catalog.textsend(${text})))`;
}

// The two primitives every keyed mask is built from, as SQL: the HMAC-SHA256 of a value under the
// key, and a word of a fake dictionary at a position. refork writes them with PostgreSQL's own
// functions only (no extension, no temp table); another writing of them gives the same values
// (the benchmark measures refork against the conventional one: pgcrypto's hmac() and a lookup
// into a dictionary table per row, as PostgreSQL Anonymizer does).
import { DICTIONARIES, type DictionaryName } from './dictionaries.js';
import { hmacSql } from './hmac.js';
import type { SqlParams } from './sql.js';

export interface MaskPrimitives {
  /** The raw HMAC-SHA256 (bytea) of a text expression under the statement's key. */
  hmac(text: string, params: SqlParams): string;
  /** Word `index` (an SQL integer expression, from 0) of a dictionary. */
  word(name: DictionaryName, index: string, params: SqlParams): string;
}

/**
 * A dictionary as one bind parameter: every word padded with spaces to the longest word's byte
 * length, so word n is the bytes at n × width, a constant-time substr() of a bytea. (A lookup in
 * a table costs a subquery per row, several times slower, and needs a temp table, which a
 * read-only check of production cannot create.)
 */
interface PackedDictionary {
  bytes: Buffer;
  width: number;
  size: number;
}

const packed = new Map<DictionaryName, PackedDictionary>();

function packedDictionary(name: DictionaryName): PackedDictionary {
  let dictionary = packed.get(name);
  if (!dictionary) {
    const words = DICTIONARIES[name].map((word) => Buffer.from(word, 'utf8'));
    if (words.length === 0) throw new Error(`faker's ${name} list is empty`);
    const width = Math.max(...words.map((word) => word.length));
    const bytes = Buffer.alloc(width * words.length, 0x20);
    words.forEach((word, index) => word.copy(bytes, index * width));
    dictionary = { bytes, width, size: words.length };
    packed.set(name, dictionary);
  }
  return dictionary;
}

export const BUILTIN_PRIMITIVES: MaskPrimitives = {
  hmac: (text, params) => hmacSql(text, params.padParams()),
  word(name, index, params) {
    const { bytes, width } = packedDictionary(name);
    const words = `${params.shared(`dictionary:${name}`, bytes)}::bytea`;
    return `pg_catalog.rtrim(pg_catalog.convert_from(pg_catalog.substr(${words}, ${index} * ${width} + 1, ${width}), 'UTF8'), ' ')`;
  },
};

/** The primitives a compilation uses: refork's own unless it names others. */
export function primitivesOf(context: { primitives?: MaskPrimitives }): MaskPrimitives {
  return context.primitives ?? BUILTIN_PRIMITIVES;
}

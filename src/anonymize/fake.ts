// Dictionary fakes: faker's English locale lists, bound to the statement as parameters, and a
// value picked by a keyed hash of the original, so the same input gives the same fake in every
// table and every night (for a given faker version: a changed list changes the picks).
import { faker } from '@faker-js/faker/locale/en';
import type { FakeKind } from './rules.js';
import { hmacHex, hmacInt32, type CompileContext } from './strategies.js';

const raw = faker.rawDefinitions;

function list(values: unknown): string[] {
  return Array.isArray(values) ? [...new Set(values.filter((value): value is string => typeof value === 'string'))] : [];
}

export const DICTIONARIES = {
  first_name: list(raw.person?.first_name?.generic),
  last_name: list(raw.person?.last_name?.generic),
  city: list(raw.location?.city_name),
  street: list(raw.location?.street_name),
  company_suffix: list(raw.company?.legal_entity_type),
} satisfies Record<string, string[]>;

export type DictionaryName = keyof typeof DICTIONARIES;

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

export function packedDictionary(name: DictionaryName): PackedDictionary {
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

/** The word at a keyed position: the same input picks the same word in every table and every night. */
function pick(name: DictionaryName, hex: string, offset: number, ctx: CompileContext): string {
  const { bytes, width, size } = packedDictionary(name);
  const words = `${ctx.params.shared(`dictionary:${name}`, bytes)}::bytea`;
  const at = `((${hmacInt32(hex, offset)} % ${size})::int4 * ${width} + 1)`;
  return `pg_catalog.rtrim(pg_catalog.convert_from(pg_catalog.substr(${words}, ${at}, ${width}), 'UTF8'), ' ')`;
}

/** Digits taken from digest bytes [offset, offset+4), zero-padded to `width`. */
function digits(hex: string, offset: number, width: number): string {
  return `pg_catalog.lpad((${hmacInt32(hex, offset)} % ${10 ** width})::text, ${width}, '0')`;
}

export function fakeExpression(kind: FakeKind, text: string, ctx: CompileContext): string {
  const hex = hmacHex(text, ctx);
  // Different digest bytes feed different parts, so first and last names vary independently.
  const expression = (() => {
    switch (kind) {
      case 'first_name':
        return pick('first_name', hex, 0, ctx);
      case 'last_name':
        return pick('last_name', hex, 4, ctx);
      case 'full_name':
        return `${pick('first_name', hex, 0, ctx)} || ' ' || ${pick('last_name', hex, 4, ctx)}`;
      case 'username':
        return `pg_catalog.lower(${pick('first_name', hex, 0, ctx)}) || ${digits(hex, 8, 4)}`;
      case 'phone':
        // 555 exchanges are reserved for fiction in North America.
        return `'(555) ' || ${digits(hex, 12, 3)} || '-' || ${digits(hex, 16, 4)}`;
      case 'street':
        return `((${hmacInt32(hex, 20)} % 9999) + 1)::text || ' ' || ${pick('street', hex, 24, ctx)}`;
      case 'city':
        return pick('city', hex, 28, ctx);
      case 'zip':
        return digits(hex, 8, 5);
      case 'company':
        return `${pick('last_name', hex, 4, ctx)} || ' ' || ${pick('company_suffix', hex, 12, ctx)}`;
    }
  })();
  // NULL in, NULL out, like every other strategy.
  return `(CASE WHEN ${text} IS NULL THEN NULL ELSE ${expression} END)`;
}

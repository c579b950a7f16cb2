// Fakes: a word from faker's lists (dictionaries.ts) or digits, picked by a keyed hash of the
// original, so the same input gives the same fake in every table and every night. The caller
// (strategies.ts) computes the keyed digest; this module only turns a digest into a fake.
import { DICTIONARIES, type DictionaryName } from './dictionaries.js';
import { hmacInt32 } from './digest.js';
import { primitivesOf, type MaskPrimitives } from './primitives.js';
import type { FakeKind } from './rules.js';
import type { SqlParams } from './sql.js';

/** What a fake needs of the compilation: its parameters, and how dictionary words are written. */
export interface FakeContext {
  params: SqlParams;
  primitives?: MaskPrimitives;
}

/** The word at a keyed position: the same input picks the same word in every table and every night. */
function pick(name: DictionaryName, hex: string, offset: number, ctx: FakeContext): string {
  return primitivesOf(ctx).word(name, `(${hmacInt32(hex, offset)} % ${DICTIONARIES[name].length})::int4`, ctx.params);
}

/** Digits taken from digest bytes [offset, offset+4), zero-padded to `width`. */
function digits(hex: string, offset: number, width: number): string {
  return `pg_catalog.lpad((${hmacInt32(hex, offset)} % ${10 ** width})::text, ${width}, '0')`;
}

/** `text` is the value as text, `hex` the hex HMAC of it. */
export function fakeExpression(kind: FakeKind, text: string, hex: string, ctx: FakeContext): string {
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

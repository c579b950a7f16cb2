// Dictionary fakes: faker's English locale lists loaded into a session temp table, and a value
// picked by a keyed hash of the original, so the same input gives the same fake in every table and
// every night (for a given faker version: a changed list changes the picks). The caller
// (strategies.ts) computes the keyed digest; this module only turns a digest into a fake.
import { faker } from '@faker-js/faker/locale/en';
import type pg from 'pg';
import { hmacInt32 } from './digest.js';
import type { FakeKind } from './rules.js';
import type { SqlParams } from './sql.js';

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

/** What a fake needs of the compilation: its parameters, and where to note the dictionaries it reads. */
export interface FakeContext {
  params: SqlParams;
  dictionaries: Set<DictionaryName>;
}

const TABLE = 'pg_temp.refork_dictionary';

/** Loads the dictionaries a plan uses into this session (temp tables are per connection). */
export async function loadDictionaries(client: pg.Client, names: Iterable<DictionaryName>): Promise<void> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return;
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS refork_dictionary (dictionary text, position int, word text NOT NULL, PRIMARY KEY (dictionary, position))`,
  );
  for (const name of wanted) {
    await client.query(
      `INSERT INTO ${TABLE} (dictionary, position, word) SELECT $1::text, u.o::int - 1, u.w FROM unnest($2::text[]) WITH ORDINALITY AS u(w, o) ON CONFLICT DO NOTHING`,
      [name, DICTIONARIES[name]],
    );
  }
}

function pick(name: DictionaryName, hex: string, offset: number, ctx: FakeContext): string {
  ctx.dictionaries.add(name);
  const size = DICTIONARIES[name].length;
  if (size === 0) throw new Error(`faker's ${name} list is empty`);
  return `(SELECT d.word FROM ${TABLE} d WHERE d.dictionary = ${ctx.params.add(name)}::text AND d.position = ${hmacInt32(hex, offset)} % ${size})`;
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

// The word lists fakes are drawn from: faker's English lists, deduplicated, in faker's order (a
// word's position is what a keyed hash picks, so a changed list changes the picks). Frozen in
// word-lists.json (scripts/word-lists.mjs wrote it; source and licence in
// docs/anonymization.md#word-lists): a pseudonym must not change because another faker version got
// installed, and the CLI's bundle need not carry faker's whole locale.
import frozen from './word-lists.json' with { type: 'json' };

export const DICTIONARIES = {
  first_name: frozen.lists.first_name,
  last_name: frozen.lists.last_name,
  city: frozen.lists.city,
  street: frozen.lists.street,
  company_suffix: frozen.lists.company_suffix,
} satisfies Record<string, string[]>;

export type DictionaryName = keyof typeof DICTIONARIES;

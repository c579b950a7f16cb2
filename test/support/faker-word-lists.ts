// The word lists as faker's English locale defines them (@faker-js/faker, a development
// dependency): deduplicated, in faker's order, since a word's position is what a keyed hash picks.
// scripts/word-lists.mjs freezes them into src/anonymize/word-lists.json; a test compares the two.
import { faker } from '@faker-js/faker/locale/en';
import type { DictionaryName } from '../../src/anonymize/dictionaries.js';

function list(values: unknown): string[] {
  return Array.isArray(values) ? [...new Set(values.filter((value): value is string => typeof value === 'string'))] : [];
}

export function fakerWordLists(): Record<DictionaryName, string[]> {
  const raw = faker.rawDefinitions;
  return {
    first_name: list(raw.person?.first_name?.generic),
    last_name: list(raw.person?.last_name?.generic),
    city: list(raw.location?.city_name),
    street: list(raw.location?.street_name),
    company_suffix: list(raw.company?.legal_entity_type),
  };
}

// The word lists fakes are drawn from: faker's English locale, deduplicated, in faker's order
// (a word's position is what a keyed hash picks, so a changed list changes the picks).
import { faker } from '@faker-js/faker/locale/en';

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

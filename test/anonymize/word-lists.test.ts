// The fakes' word lists are frozen in the package (src/anonymize/word-lists.json), not read from
// whatever faker version is installed: a list that changed would change every fake pseudonym.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DICTIONARIES } from '../../src/anonymize/dictionaries.js';
import { fakerWordLists } from '../support/faker-word-lists.js';

/** Word n of `list`, n from 4 bytes of HMAC-SHA256(key, value) at `offset`, as the fakes pick it. */
function pick(list: readonly string[], key: string, value: string, offset: number): string | undefined {
  const hex = createHmac('sha256', key).update(value).digest('hex');
  return list[Number.parseInt(hex.slice(offset * 2, offset * 2 + 8), 16) % list.length];
}

describe('the word lists of fakes', () => {
  it("are faker's English lists, word for word and in order", () => {
    // Failing here means faker's lists moved on: regenerating (scripts/word-lists.mjs) would change
    // every fake a user's staging has; do it only as a change users are told about.
    expect(DICTIONARIES).toEqual(fakerWordLists());
  });

  it('give the fakes they gave when refork read them from faker 9.9.0', () => {
    const key = 'refork-golden-key';
    expect([
      pick(DICTIONARIES.first_name, key, 'Ada', 0),
      pick(DICTIONARIES.last_name, key, 'Lovelace', 4),
      pick(DICTIONARIES.city, key, 'London', 28),
      pick(DICTIONARIES.street, key, '12 Baker Street', 24),
      pick(DICTIONARIES.company_suffix, key, 'Acme', 12),
    ]).toEqual(['Everette', 'Pouros', 'Charlottesville', 'Quarry Lane', 'Group']);
    expect(Object.fromEntries(Object.entries(DICTIONARIES).map(([name, words]) => [name, words.length]))).toEqual({
      first_name: 3005,
      last_name: 473,
      city: 927,
      street: 749,
      company_suffix: 4,
    });
  });
});

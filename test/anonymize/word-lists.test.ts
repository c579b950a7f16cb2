// The fakes' word lists are frozen in the package (src/anonymize/word-lists.json), not read from
// whatever faker version is installed: a list that changed would change every fake pseudonym.
import { describe, expect, it } from 'vitest';
import { DICTIONARIES } from '../../src/anonymize/dictionaries.js';
import { fakerWordLists } from '../support/faker-word-lists.js';
import { expectedPick } from './fixture.js';

describe('the word lists of fakes', () => {
  it("are faker's English lists, word for word and in order", () => {
    // Failing here means faker's lists moved on: regenerating (scripts/word-lists.mjs) would change
    // every fake a user's staging has; do it only as a change users are told about.
    expect(DICTIONARIES).toEqual(fakerWordLists());
  });

  it('give the fakes they gave when refork read them from faker 9.9.0', () => {
    const key = 'refork-golden-key';
    expect([
      expectedPick(key, DICTIONARIES.first_name, 'Ada', 0),
      expectedPick(key, DICTIONARIES.last_name, 'Lovelace', 4),
      expectedPick(key, DICTIONARIES.city, 'London', 28),
      expectedPick(key, DICTIONARIES.street, '12 Baker Street', 24),
      expectedPick(key, DICTIONARIES.company_suffix, 'Acme', 12),
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

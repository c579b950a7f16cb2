// Hostile and broken anonymization rules: parseRules either returns rules or throws a
// RulesError whose message is one line, never another exception type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRules, RulesError } from '../../src/anonymize/index.js';
import { hostileKey, hostileString, jsonish, mutate, type Json } from './documents.js';

const VALID: Json = {
  tables: {
    customers: {
      columns: {
        id: 'safe',
        full_name: 'hash',
        email: { strategy: 'email', domain: 'example.test' },
        phone: null,
        notes: { strategy: 'fake', kind: 'first_name' },
      },
    },
    orders: {
      columns: { shipping_address: { strategy: 'constant', value: '1 Example Street' }, total_cents: { strategy: 'noise', ratio: 0.1 } },
    },
    'public.events': { columns: { payload: { strategy: 'json', paths: { 'address.street': 'hash', 'phones.*': null } } } },
    sessions: 'truncate',
  },
};

function outcome(input: unknown): 'ok' | 'rejected' {
  try {
    parseRules(input, 'refork.yml: pipelines.staging.anonymize');
    return 'ok';
  } catch (error) {
    if (!(error instanceof RulesError)) throw new Error(`unexpected ${String((error as Error)?.name)}: ${String(error)}`);
    if (/[\r\n]/.test(error.message)) throw new Error(`multi-line message: ${JSON.stringify(error.message)}`);
    if (error.message.trim() === '') throw new Error('empty message');
    return 'rejected';
  }
}

describe('parseRules on hostile rules', () => {
  it('accepts a valid rule set', () => {
    expect(outcome(VALID)).toBe('ok');
  });

  it('answers any JSON-ish input with rules or one line of error', () => {
    fc.assert(
      fc.property(jsonish, (input) => void outcome(input)),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(jsonish, (tables) => void outcome({ tables })),
      { numRuns: 1500 },
    );
  });

  it('answers every mutation of a valid rule set with rules or one line of error', () => {
    fc.assert(
      fc.property(mutate(VALID), (input) => void outcome(input)),
      { numRuns: 3000 },
    );
  });

  it('takes hostile table and column names as data (never a multi-line or foreign error)', () => {
    fc.assert(
      fc.property(hostileKey, hostileKey, hostileString, (table, column, value) => {
        void outcome({ tables: { [table]: { columns: { [column]: { strategy: 'constant', value } } } } });
        void outcome({ tables: { [table]: 'truncate' } });
        void outcome({ tables: { customers: { columns: { [column]: value } } } });
      }),
      { numRuns: 1000 },
    );
  });
});

// Hostile and broken refork.yml documents: whatever the shape, parseConfig either returns a
// config or throws a ConfigError (or the rules parser's RulesError) whose message is one line,
// never another exception type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/pipeline.js';
import { RulesError } from '../../src/anonymize/index.js';
import { hostileKey, jsonish, mutate, type Json } from './documents.js';

const VALID: Json = {
  protected_apps: ['acme-prod'],
  fork_app: 'acme-refork',
  pipelines: {
    staging: {
      source: { app: 'acme-prod', database: 'DATABASE' },
      target: { app: 'acme-staging' },
      plan: 'heroku-postgresql:standard-0',
      fast: false,
      schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      max_wait_minutes: 720,
      fork_app_access: 'refuse',
      anonymize: {
        tables: {
          customers: { columns: { id: 'safe', full_name: 'hash', email: 'email', phone: null } },
          orders: { columns: { shipping_address: { strategy: 'constant', value: '1 Example Street' } } },
          sessions: 'truncate',
        },
      },
    },
  },
};

/** Parses, and classifies the outcome; anything but a config or a one-line known error fails the property. */
function outcome(document: unknown): 'ok' | 'rejected' {
  try {
    parseConfig(document, 'refork.yml');
    return 'ok';
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof RulesError))
      throw new Error(`unexpected ${String((error as Error)?.name)}: ${String(error)}`);
    if (error.message.includes('\n') || error.message.includes('\r'))
      throw new Error(`multi-line message: ${JSON.stringify(error.message)}`);
    if (error.message.trim() === '') throw new Error('empty message');
    return 'rejected';
  }
}

describe('parseConfig on hostile documents', () => {
  it('accepts the example document', () => {
    expect(outcome(VALID)).toBe('ok');
  });

  it('answers any JSON-ish document with a config or one line of error', () => {
    fc.assert(
      fc.property(jsonish, (document) => void outcome(document)),
      { numRuns: 1500 },
    );
  });

  it('answers every mutation of a valid document with a config or one line of error', () => {
    fc.assert(
      fc.property(mutate(VALID), (document) => void outcome(document)),
      { numRuns: 3000 },
    );
  });

  it('names a hostile key on one line', () => {
    fc.assert(
      fc.property(hostileKey, (key) => {
        // zod drops an own `__proto__` key rather than reporting it; either way nothing breaks.
        const unknown = outcome({ ...(VALID as object), [key]: 1 });
        const pipeline = outcome({ pipelines: { [key]: {} } });
        if (key === '__proto__') return;
        expect(unknown).toBe('rejected');
        expect(pipeline).toBe('rejected');
      }),
      { numRuns: 500 },
    );
  });
});

import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRules, RulesError } from '../../src/anonymize/index.js';

const WHERE = 'pipelines.staging.anonymize';

function rulesError(input: unknown): RulesError {
  try {
    parseRules(input, WHERE);
  } catch (error) {
    if (error instanceof RulesError) return error;
    throw error;
  }
  throw new Error('expected a RulesError');
}

describe('parseRules', () => {
  it('reads the documented YAML shape into typed rules', () => {
    const rules = parseRules(
      parseYaml(`
tables:
  users:
    columns:
      email: email
      full_name: hash
      phone: null
      fax: "null"
      country: { strategy: constant, value: "XX" }
      id: safe
  sessions: truncate
  audit.events: safe
`),
      WHERE,
    );
    expect(rules.tables.map((entry) => [entry.name.schema, entry.name.table, entry.rule.kind])).toEqual([
      ['public', 'users', 'columns'],
      ['public', 'sessions', 'truncate'],
      ['audit', 'events', 'safe'],
    ]);
    const users = rules.tables[0]?.rule;
    expect(users?.kind === 'columns' && users.columns.map((column) => [column.column, column.strategy])).toEqual([
      ['email', { kind: 'email', domain: 'example.test' }],
      ['full_name', { kind: 'hash' }],
      ['phone', { kind: 'null' }],
      ['fax', { kind: 'null' }],
      ['country', { kind: 'constant', value: 'XX' }],
      ['id', { kind: 'safe' }],
    ]);
  });

  it('keeps table and column names verbatim, with double quotes for a name containing a dot', () => {
    const rules = parseRules({ tables: { 'Table With Space': 'truncate', '"my.schema"."we""ird.t"': 'safe', Ünïcødé: 'safe' } }, WHERE);
    expect(rules.tables.map((entry) => entry.name)).toEqual([
      { schema: 'public', table: 'Table With Space' },
      { schema: 'my.schema', table: 'we"ird.t' },
      { schema: 'public', table: 'Ünïcødé' },
    ]);
  });

  it('reads the options of every strategy', () => {
    const rules = parseRules(
      {
        tables: {
          t: {
            columns: {
              a: { strategy: 'hash', length: 20 },
              b: { strategy: 'email', domain: 'staging.example' },
              c: { strategy: 'fake', kind: 'first_name' },
              d: { strategy: 'partial', keep: 4 },
              e: { strategy: 'noise', ratio: 0.1 },
              f: { strategy: 'shift', days: 30 },
              g: { strategy: 'json', paths: { 'address.street': 'hash', 'phones.*': null } },
              h: { strategy: 'sql', expression: 'upper({column})' },
              i: { strategy: 'constant', value: 0 },
            },
          },
        },
      },
      WHERE,
    );
    const rule = rules.tables[0]?.rule;
    expect(rule?.kind === 'columns' && rule.columns.map((column) => column.strategy)).toEqual([
      { kind: 'hash', length: 20 },
      { kind: 'email', domain: 'staging.example' },
      { kind: 'fake', fake: 'first_name' },
      { kind: 'partial', keep: 4, mask: '*' },
      { kind: 'noise', ratio: 0.1 },
      { kind: 'shift', days: 30 },
      {
        kind: 'json',
        paths: [
          { path: ['address', 'street'], strategy: { kind: 'hash' } },
          { path: ['phones', '*'], strategy: { kind: 'null' } },
        ],
      },
      { kind: 'sql', expression: 'upper({column})' },
      { kind: 'constant', value: '0' },
    ]);
  });

  it.each([
    [
      'an unknown strategy',
      { tables: { users: { columns: { email: 'emial' } } } },
      `${WHERE}.tables.users.columns.email: unknown strategy "emial"`,
    ],
    ['a misspelt table keyword', { tables: { users: 'truncat' } }, `${WHERE}.tables.users: expected \`truncate\`, \`safe\``],
    ['a missing tables key', {}, `${WHERE}.tables: expected a mapping`],
    ['an unknown top-level key', { tables: {}, extra: 1 }, `${WHERE}.extra: unknown key`],
    [
      'an unknown option',
      { tables: { t: { columns: { c: { strategy: 'hash', size: 3 } } } } },
      `${WHERE}.tables.t.columns.c.size: unknown option for strategy hash; allowed: length`,
    ],
    [
      'a constant without a value',
      { tables: { t: { columns: { c: { strategy: 'constant' } } } } },
      `${WHERE}.tables.t.columns.c.value: missing`,
    ],
    [
      'a shorthand that needs options',
      { tables: { t: { columns: { c: 'constant' } } } },
      `${WHERE}.tables.t.columns.c: strategy constant needs options`,
    ],
    [
      'a table named twice',
      { tables: { users: 'safe', 'public.users': 'truncate' } },
      `${WHERE}.tables["public.users"]: names the same table as ${WHERE}.tables.users`,
    ],
    ['too many dots', { tables: { 'a.b.c': 'safe' } }, `${WHERE}.tables["a.b.c"]: too many dots`],
    ['an sql expression without the column', { tables: { t: { columns: { c: { strategy: 'sql', expression: 'now()' } } } } }, '{column}'],
    [
      'an sql expression with a second statement',
      { tables: { t: { columns: { c: { strategy: 'sql', expression: '{column}; drop table t' } } } } },
      'single expression',
    ],
    ['a column with no rules', { tables: { t: { columns: {} } } }, `${WHERE}.tables.t.columns: expected a mapping`],
  ])('rejects %s with one line naming the key', (_what, input, expected) => {
    const error = rulesError(input);
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain('\n');
  });

  it('rejects a missing anonymize section, saying what to add', () => {
    expect(rulesError(undefined).message).toBe(`${WHERE}: missing; add \`tables:\` with a rule for every table that holds personal data`);
  });
});

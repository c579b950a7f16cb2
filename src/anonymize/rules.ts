// The `anonymize:` section of a pipeline in refork.yml, validated into typed rules. Every error is
// one line that names the YAML key and says how to fix it; nothing here touches a database.
import type { TableName } from './quote.js';

export class RulesError extends Error {
  override name = 'RulesError';
}

export const FAKE_KINDS = ['first_name', 'last_name', 'full_name', 'phone', 'street', 'city', 'zip', 'company', 'username'] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

/** What happens to one column. Values are kept as text: Postgres parses them with the column's own type. */
export type ColumnStrategy =
  /** `scan: false` exempts a column of known-public values (a support address) from the PII scan. */
  | { kind: 'safe'; scan?: boolean }
  | { kind: 'null' }
  | { kind: 'constant'; value: string }
  | { kind: 'hash'; length?: number }
  | { kind: 'email'; domain: string }
  | { kind: 'fake'; fake: FakeKind }
  | { kind: 'partial'; keep: number; mask: string }
  | { kind: 'noise'; ratio: number }
  | { kind: 'shift'; days: number }
  | { kind: 'json'; paths: JsonPathRule[] }
  | { kind: 'sql'; expression: string };

export type StrategyName = ColumnStrategy['kind'];

/** A path inside a json/jsonb value (`address.street`, `phones.*`) and the strategy for the text found there. */
export interface JsonPathRule {
  path: string[];
  strategy: ColumnStrategy;
}

export interface ColumnRule {
  column: string;
  strategy: ColumnStrategy;
  /** The YAML key this rule came from, for error messages. */
  where: string;
}

export type TableRule = { kind: 'truncate' } | { kind: 'safe' } | { kind: 'columns'; columns: ColumnRule[] };

export interface TableRuleEntry {
  name: TableName;
  rule: TableRule;
  where: string;
}

export interface AnonymizeRules {
  tables: TableRuleEntry[];
  where: string;
}

const STRATEGY_OPTIONS: Record<StrategyName, readonly string[]> = {
  safe: ['scan'],
  null: [],
  constant: ['value'],
  hash: ['length'],
  email: ['domain'],
  fake: ['kind'],
  partial: ['keep', 'mask'],
  noise: ['ratio'],
  shift: ['days'],
  json: ['paths'],
  sql: ['expression'],
};
const STRATEGY_NAMES = Object.keys(STRATEGY_OPTIONS) as StrategyName[];
/** Strategies that need options, so the one-word shorthand cannot express them. */
const NEEDS_OPTIONS: ReadonlySet<StrategyName> = new Set(['constant', 'fake', 'partial', 'noise', 'shift', 'json', 'sql']);

export const DEFAULT_EMAIL_DOMAIN = 'example.test';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function fail(where: string, message: string): never {
  throw new RulesError(`${where}: ${message}`);
}

/** Joins a YAML path for messages; keys that are not plain words are quoted. */
function child(where: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

export function parseRules(input: unknown, where: string): AnonymizeRules {
  if (input === undefined || input === null) {
    fail(where, 'missing; add `tables:` with a rule for every table that holds personal data');
  }
  if (!isRecord(input)) fail(where, `expected a mapping with \`tables:\`, got ${describe(input)}`);
  for (const key of Object.keys(input)) {
    if (key !== 'tables') fail(child(where, key), 'unknown key; the anonymize section accepts only `tables:`');
  }
  const tablesWhere = child(where, 'tables');
  const tables = input.tables;
  if (!isRecord(tables)) {
    fail(tablesWhere, `expected a mapping of table name to rule, got ${describe(tables)}`);
  }
  const seen = new Map<string, string>();
  const entries: TableRuleEntry[] = [];
  for (const [key, value] of Object.entries(tables)) {
    const tableWhere = child(tablesWhere, key);
    const name = parseTableKey(key, tableWhere);
    const identity = `${name.schema}\u0000${name.table}`;
    const previous = seen.get(identity);
    if (previous) fail(tableWhere, `names the same table as ${previous}; keep one of them`);
    seen.set(identity, tableWhere);
    entries.push({ name, rule: parseTableRule(value, tableWhere), where: tableWhere });
  }
  return { tables: entries, where };
}

/**
 * `users` → public.users, `billing.invoices` → billing.invoices. Names are taken verbatim (case and
 * spaces kept); a part containing a dot is written in double quotes: `public."a.b"`, with `""` for a quote.
 */
export function parseTableKey(key: string, where: string): TableName {
  const parts: string[] = [];
  let rest = key;
  while (true) {
    let part: string;
    if (rest.startsWith('"')) {
      const match = /^"((?:[^"]|"")+)"/.exec(rest);
      if (!match?.[1]) fail(where, 'unterminated or empty quoted name; write "schema"."table" with "" for a quote inside');
      part = match[1].replaceAll('""', '"');
      rest = rest.slice(match[0].length);
    } else {
      const dot = rest.indexOf('.');
      part = dot === -1 ? rest : rest.slice(0, dot);
      rest = dot === -1 ? '' : rest.slice(dot);
    }
    if (part.length === 0) fail(where, 'empty table or schema name; write `table` or `schema.table`');
    parts.push(part);
    if (rest.length === 0) break;
    if (!rest.startsWith('.')) fail(where, 'unexpected text after a quoted name; write "schema"."table"');
    rest = rest.slice(1);
  }
  if (parts.length > 2) {
    fail(where, 'too many dots; write `table` or `schema.table`, and quote a name that contains a dot: schema."a.b"');
  }
  const [first, second] = parts;
  if (first === undefined) fail(where, 'empty table name');
  return second === undefined ? { schema: 'public', table: first } : { schema: first, table: second };
}

/** The inverse of parseTableKey: how to write a table's key in refork.yml. */
export function tableRuleKey(name: TableName): string {
  const part = (text: string) => (text.includes('.') || text.startsWith('"') ? `"${text.replaceAll('"', '""')}"` : text);
  return name.schema === 'public' && !name.table.includes('.') && !name.table.startsWith('"')
    ? name.table
    : `${part(name.schema)}.${part(name.table)}`;
}

function parseTableRule(value: unknown, where: string): TableRule {
  if (value === 'truncate' || value === 'safe') return { kind: value };
  if (typeof value === 'string' || value === null || !isRecord(value)) {
    fail(where, `expected \`truncate\`, \`safe\` or a mapping with \`columns:\`, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'columns') fail(child(where, key), 'unknown key; a table rule accepts only `columns:` (or is `truncate` / `safe`)');
  }
  const columnsWhere = child(where, 'columns');
  const columns = value.columns;
  if (!isRecord(columns) || Object.keys(columns).length === 0) {
    fail(columnsWhere, `expected a mapping of column name to strategy, got ${describe(columns)}`);
  }
  return {
    kind: 'columns',
    columns: Object.entries(columns).map(([column, strategy]) => {
      const columnWhere = child(columnsWhere, column);
      return { column, strategy: parseStrategy(strategy, columnWhere), where: columnWhere };
    }),
  };
}

function isStrategyName(value: string): value is StrategyName {
  return (STRATEGY_NAMES as string[]).includes(value);
}

const STRATEGY_LIST = STRATEGY_NAMES.join(', ');

export function parseStrategy(value: unknown, where: string): ColumnStrategy {
  // YAML `phone: null` and `phone: ~` arrive as null; `phone: "null"` as the string.
  if (value === null) return { kind: 'null' };
  if (typeof value === 'string') {
    if (!isStrategyName(value)) fail(where, `unknown strategy ${JSON.stringify(value)}; use one of ${STRATEGY_LIST}`);
    if (NEEDS_OPTIONS.has(value)) {
      fail(
        where,
        `strategy ${value} needs options; write { strategy: ${value}, ${STRATEGY_OPTIONS[value].map((o) => `${o}: …`).join(', ')} }`,
      );
    }
    return parseOptions(value, {}, where);
  }
  if (!isRecord(value)) fail(where, `expected a strategy name or { strategy: … }, got ${describe(value)}`);
  const name = value.strategy;
  if (typeof name !== 'string' || !isStrategyName(name)) {
    fail(child(where, 'strategy'), `expected one of ${STRATEGY_LIST}, got ${describe(name)}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(value)) {
    if (key === 'strategy') continue;
    if (!STRATEGY_OPTIONS[name].includes(key)) {
      const allowed = STRATEGY_OPTIONS[name];
      fail(
        child(where, key),
        `unknown option for strategy ${name}; ${allowed.length ? `allowed: ${allowed.join(', ')}` : 'it takes no options'}`,
      );
    }
    options[key] = option;
  }
  return parseOptions(name, options, where);
}

function positiveInteger(value: unknown, where: string, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    fail(where, `${what} must be a whole number ≥ 1, got ${describe(value)}`);
  return value;
}

function parseOptions(name: StrategyName, options: Record<string, unknown>, where: string): ColumnStrategy {
  switch (name) {
    case 'safe': {
      if (options.scan === undefined) return { kind: 'safe' };
      if (typeof options.scan !== 'boolean') fail(child(where, 'scan'), `expected true or false, got ${describe(options.scan)}`);
      return { kind: 'safe', scan: options.scan };
    }
    case 'null':
      return { kind: name };
    case 'constant': {
      const value = options.value;
      if (value === undefined) fail(child(where, 'value'), 'missing; write { strategy: constant, value: "…" }');
      if (value === null) fail(child(where, 'value'), 'null is its own strategy; write `null` instead of a constant');
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        fail(child(where, 'value'), `expected a string, number or boolean, got ${describe(value)}`);
      }
      return { kind: 'constant', value: String(value) };
    }
    case 'hash': {
      if (options.length === undefined) return { kind: 'hash' };
      const length = positiveInteger(options.length, child(where, 'length'), 'length');
      if (length > 64) fail(child(where, 'length'), `a SHA-256 hex digest has 64 characters; use a length from 1 to 64, got ${length}`);
      return { kind: 'hash', length };
    }
    case 'email': {
      const domain = options.domain ?? DEFAULT_EMAIL_DOMAIN;
      if (typeof domain !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain)) {
        fail(child(where, 'domain'), `expected a domain name such as ${DEFAULT_EMAIL_DOMAIN}, got ${describe(domain)}`);
      }
      return { kind: 'email', domain };
    }
    case 'fake': {
      const kind = options.kind;
      if (typeof kind !== 'string' || !(FAKE_KINDS as readonly string[]).includes(kind)) {
        fail(child(where, 'kind'), `expected one of ${FAKE_KINDS.join(', ')}, got ${describe(kind)}`);
      }
      return { kind: 'fake', fake: kind as FakeKind };
    }
    case 'partial': {
      const keep = positiveInteger(options.keep, child(where, 'keep'), 'keep (the number of trailing characters kept)');
      const mask = options.mask ?? '*';
      if (typeof mask !== 'string' || [...mask].length !== 1)
        fail(child(where, 'mask'), `expected one character such as "*", got ${describe(mask)}`);
      return { kind: 'partial', keep, mask };
    }
    case 'noise': {
      const ratio = options.ratio;
      if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
        fail(child(where, 'ratio'), `expected a fraction in (0, 1] such as 0.1 (±10%), got ${describe(ratio)}`);
      }
      return { kind: 'noise', ratio };
    }
    case 'shift': {
      const days = positiveInteger(options.days, child(where, 'days'), 'days (the largest shift either way)');
      return { kind: 'shift', days };
    }
    case 'sql': {
      const expression = options.expression;
      if (typeof expression !== 'string' || !expression.includes('{column}')) {
        fail(child(where, 'expression'), 'expected an SQL expression that uses the column as {column}, e.g. "upper({column})"');
      }
      if (/;|--|\/\*/.test(expression)) fail(child(where, 'expression'), 'must be a single expression: no `;` and no comments');
      return { kind: 'sql', expression };
    }
    case 'json':
      return { kind: 'json', paths: parseJsonPaths(options.paths, child(where, 'paths')) };
  }
}

function parseJsonPaths(value: unknown, where: string): JsonPathRule[] {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    fail(where, `expected a mapping of path to strategy, e.g. { "address.street": hash }, got ${describe(value)}`);
  }
  return Object.entries(value).map(([path, strategy]) => {
    const pathWhere = child(where, path);
    const parts = path.split('.');
    if (parts.some((part) => part.length === 0))
      fail(pathWhere, 'empty path segment; write keys separated by dots, `*` for every array element');
    const parsed = parseStrategy(strategy, pathWhere);
    if (parsed.kind === 'json' || parsed.kind === 'sql' || parsed.kind === 'safe') {
      fail(pathWhere, `strategy ${parsed.kind} cannot be used inside json; use null, constant, hash, email, fake or partial`);
    }
    return { path: parts, strategy: parsed };
  });
}

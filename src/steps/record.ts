// The facts the anonymize and verify steps hand to the run's record (`refork report`): which rule
// did what to which column, rows and method per table from the fork's ledger, each gate's result.
// Built from the rules and counts only: no value from the data, no key, no URL.
import { createHash } from 'node:crypto';
import type { AnonymizeRules, ColumnStrategy, VerifyReport } from '../anonymize/index.js';
import { displayTable } from '../anonymize/quote.js';
import type { AnonymizeFacts, ColumnRecord, TableRecord, VerifyFacts } from './types.js';

/** The rules' digest: sha256 of their JSON with keys sorted and the YAML locations (`where`) left out. */
export function rulesDigest(rules: AnonymizeRules): string {
  return `sha256:${createHash('sha256').update(canonicalJson(rules)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([key, item]) => key !== 'where' && item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `refork.yml: pipelines.x.anonymize.tables.t` → `pipelines.x.anonymize.tables.t`: the key, not the file. */
function ruleKey(where: string): string {
  const at = where.indexOf(': ');
  return at === -1 ? where : where.slice(at + 2);
}

/** What a strategy does, for a reader who does not know refork's rule syntax. */
export function describeStrategy(strategy: ColumnStrategy): string {
  switch (strategy.kind) {
    case 'safe':
      return strategy.scan === false ? 'kept as is (declared public, not scanned)' : 'kept as is (declared not personal)';
    case 'null':
      return 'emptied (set to NULL)';
    case 'constant':
      return 'replaced by one fixed value';
    case 'hash':
      return `replaced by a keyed HMAC-SHA-256 pseudonym${strategy.length ? ` (${strategy.length} characters)` : ''}`;
    case 'email':
      return `replaced by a keyed pseudonymous address @${strategy.domain}`;
    case 'fake':
      return `replaced by a fake ${strategy.fake.replace('_', ' ')} chosen by a keyed HMAC`;
    case 'partial':
      return `masked but for the last ${strategy.keep} characters`;
    case 'noise':
      return `numbers moved by keyed noise of up to ±${Math.round(strategy.ratio * 100)} %`;
    case 'shift':
      return `dates moved by a keyed shift of up to ±${strategy.days} days`;
    case 'json':
      return `masked inside the JSON at ${strategy.paths.length} path${strategy.paths.length === 1 ? '' : 's'} (${strategy.paths.map((p) => `${p.path.join('.')}: ${p.strategy.kind}`).join(', ')})`;
    case 'sql':
      return 'computed by the SQL expression in the rule';
  }
}

interface LedgerRow {
  table: string;
  rows: number | null;
  checks: unknown;
}

function methodOf(checks: unknown, rule: TableRecord['rule']): string | undefined {
  if (rule === 'truncate') return 'truncate';
  const method = (checks as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method : undefined;
}

/** Every table the rules name or this run's ledger holds, with what was done to it. */
export function anonymizeFacts(rules: AnonymizeRules, ledger: LedgerRow[]): AnonymizeFacts {
  const byTable = new Map(ledger.map((row) => [row.table, row]));
  const tables: TableRecord[] = [];
  for (const entry of rules.tables) {
    const table = displayTable(entry.name);
    const row = byTable.get(table);
    byTable.delete(table);
    const rule = entry.rule.kind;
    const method = methodOf(row?.checks, rule);
    const columns: ColumnRecord[] | undefined =
      entry.rule.kind === 'columns'
        ? entry.rule.columns.map((column) => ({
            column: column.column,
            strategy: column.strategy.kind,
            how: describeStrategy(column.strategy),
            ruleKey: ruleKey(column.where),
          }))
        : undefined;
    tables.push({
      table,
      rule,
      ruleKey: ruleKey(entry.where),
      rows: row ? row.rows : null,
      ...(method ? { method } : {}),
      ...(columns ? { columns } : {}),
    });
  }
  // In the ledger without a rule of their own: materialized views refreshed, partitions under their parent's rule.
  for (const row of byTable.values()) {
    const method = methodOf(row.checks, 'none') ?? 'refresh';
    tables.push({ table: row.table, rule: 'none', rows: row.rows, method });
  }
  tables.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  return { rulesDigest: rulesDigest(rules), tables };
}

export function verifyFacts(report: Pick<VerifyReport, 'results'>): VerifyFacts {
  return {
    gates: report.results.map((result) => ({
      name: result.name,
      ok: result.ok,
      problems: result.problems.length,
      ...(result.error === undefined ? {} : { error: result.error }),
    })),
  };
}

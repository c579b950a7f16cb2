// What the PII gates look at and what they let through: pseudonym email domains are fine, and a
// column declared `{ strategy: safe, scan: false }` holds values known to be public. A partition
// is read with its table's rules: what is exempt in the table is exempt in every partition.
import { tableKey, type Catalog } from '../catalog.js';
import type { TableName } from '../quote.js';
import type { AnonymizeRules, ColumnStrategy } from '../rules.js';

export interface ScanScope {
  allowedDomains: Set<string>;
  exempt(table: TableName, column: string): boolean;
  /** The column is masked by a rule (its table or its partition's table). */
  masked(table: TableName, column: string): boolean;
}

function domainsOf(strategy: ColumnStrategy, into: Set<string>): void {
  if (strategy.kind === 'email') into.add(strategy.domain.toLowerCase());
  if (strategy.kind === 'json') for (const path of strategy.paths) domainsOf(path.strategy, into);
}

export function scanScope(rules: AnonymizeRules, catalog: Pick<Catalog, 'partitionRoot'>): ScanScope {
  const allowedDomains = new Set<string>();
  const exempt = new Set<string>();
  const masked = new Set<string>();
  for (const entry of rules.tables) {
    if (entry.rule.kind !== 'columns') continue;
    for (const column of entry.rule.columns) {
      domainsOf(column.strategy, allowedDomains);
      const key = `${tableKey(entry.name)}\u0000${column.column}`;
      if (column.strategy.kind !== 'safe') masked.add(key);
      else if (column.strategy.scan === false) exempt.add(key);
    }
  }
  const key = (table: TableName, column: string) => `${tableKey(catalog.partitionRoot(table) ?? table)}\u0000${column}`;
  return {
    allowedDomains,
    exempt: (table, column) => exempt.has(key(table, column)),
    masked: (table, column) => masked.has(key(table, column)),
  };
}

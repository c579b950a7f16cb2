// What the PII gates look at and what they let through: pseudonym email domains are fine, and a
// column declared `{ strategy: safe, scan: false }` holds values known to be public.
import { tableKey } from '../catalog.js';
import type { AnonymizeRules, ColumnStrategy } from '../rules.js';

export interface ScanScope {
  allowedDomains: Set<string>;
  exempt(table: { schema: string; table: string }, column: string): boolean;
}

function domainsOf(strategy: ColumnStrategy, into: Set<string>): void {
  if (strategy.kind === 'email') into.add(strategy.domain.toLowerCase());
  if (strategy.kind === 'json') for (const path of strategy.paths) domainsOf(path.strategy, into);
}

export function scanScope(rules: AnonymizeRules): ScanScope {
  const allowedDomains = new Set<string>();
  const exempt = new Set<string>();
  for (const entry of rules.tables) {
    if (entry.rule.kind !== 'columns') continue;
    for (const column of entry.rule.columns) {
      domainsOf(column.strategy, allowedDomains);
      if (column.strategy.kind === 'safe' && column.strategy.scan === false) exempt.add(`${tableKey(entry.name)}\u0000${column.column}`);
    }
  }
  return { allowedDomains, exempt: (table, column) => exempt.has(`${tableKey(table)}\u0000${column}`) };
}

// Fail-closed coverage: every column of every user table must be masked, declared safe, or sit in
// a truncated or all-safe table. Whatever is left (a column a migration added last week, a new
// table) is reported with a rule patch to review and paste.
import type { Catalog, ColumnInfo } from './catalog.js';
import { tableKey } from './catalog.js';
import { suggestForColumn } from './classify.js';
import { displayTable, type TableName } from './quote.js';
import { tableRuleKey, type AnonymizeRules } from './rules.js';

export interface Uncovered {
  table: TableName;
  display: string;
  /** No rule at all for the table (as opposed to a rule missing some columns). */
  newTable: boolean;
  columns: ColumnInfo[];
}

export function findUncovered(rules: AnonymizeRules, catalog: Catalog): Uncovered[] {
  const byTable = new Map(rules.tables.map((entry) => [tableKey(entry.name), entry.rule]));
  const uncovered: Uncovered[] = [];
  for (const table of catalog.tables) {
    const rule = byTable.get(tableKey(table.name));
    if (rule?.kind === 'truncate' || rule?.kind === 'safe') continue;
    const named = new Set(rule?.kind === 'columns' ? rule.columns.map((column) => column.column) : []);
    // A generated column is recomputed from the others, so it is exactly as clean as its inputs.
    const columns = table.columns.filter((column) => !column.generated && !named.has(column.name));
    if (columns.length > 0) uncovered.push({ table: table.name, display: displayTable(table.name), newTable: rule === undefined, columns });
  }
  return uncovered;
}

export function describeUncovered(item: Uncovered): string {
  const names = item.columns.map((column) => column.name).join(', ');
  return item.newTable
    ? `${item.display} has no rule (columns ${names}): classify every column, or truncate it or mark it safe`
    : `${item.display}: columns ${names} are not classified (added since the rules were written?): mask them or mark them safe`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function yamlKey(text: string): string {
  return PLAIN_KEY.test(text) ? text : JSON.stringify(text);
}

/** A YAML fragment to merge under the pipeline's `anonymize.tables:` key. */
export function suggestPatch(uncovered: Uncovered[]): string {
  const lines = ['tables:'];
  for (const item of uncovered) {
    lines.push(
      `  ${yamlKey(tableRuleKey(item.table))}:${item.newTable ? '   # new table: or write `truncate` / `safe` instead of columns' : ''}`,
    );
    lines.push('    columns:');
    const width = Math.max(...item.columns.map((column) => yamlKey(column.name).length));
    const siblings = item.columns.map((column) => column.name);
    for (const column of item.columns) {
      const suggestion = suggestForColumn(column, { table: item.table.table, siblings, foreignKey: false });
      // No placeholder: a column no strategy fits stays commented out, so the patch cannot run until someone writes its rule.
      const key = `${yamlKey(column.name)}:`.padEnd(width + 1);
      lines.push(suggestion.yaml ? `      ${key} ${suggestion.yaml}   # ${suggestion.reason}` : `      # ${key} ${suggestion.reason}`);
    }
  }
  return lines.join('\n');
}

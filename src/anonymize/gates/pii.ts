// PII-scan gate (docs/anonymization.md#gates): a scan of sampled text and json values in every column of every table and materialized
// view, safe columns included: a real-looking email, phone, card… anywhere blocks promotion.
import { detectPii, PII_LABELS, type PiiKind } from '../detect.js';
import { displayTable, quoteIdent } from '../quote.js';
import { sampleColumns } from '../sample.js';
import type { Gate } from './check.js';
import { scanScope } from './scope.js';

export function isTextual(column: { category: string; baseType: string }): boolean {
  return column.category === 'S' || column.category === 'A' || column.baseType === 'json' || column.baseType === 'jsonb';
}

export const piiGate: Gate = {
  name: 'pii-scan',
  async run({ client, catalog, rules }) {
    const scope = scanScope(rules);
    const problems: string[] = [];
    for (const table of [...catalog.tables, ...catalog.views]) {
      const columns = table.columns
        .filter((column) => isTextual(column) && !scope.exempt(table.name, column.name))
        .map((column) => column.name);
      const sample = await sampleColumns(client, table.name, table.estimatedRows, columns);
      sample.columns.forEach((column, index) => {
        const hits = new Map<PiiKind, number>();
        for (const row of sample.rows) {
          const value = row[index];
          if (value === null || value === undefined) continue;
          for (const kind of detectPii(value, scope.allowedDomains)) hits.set(kind, (hits.get(kind) ?? 0) + 1);
        }
        for (const [kind, count] of hits) {
          problems.push(
            `${displayTable(table.name)}.${quoteIdent(column)}: ${count} of ${sample.rows.length} sampled values look like ${PII_LABELS[kind]}; mask the column (or, if the values are public, declare it { strategy: safe, scan: false })`,
          );
        }
      });
    }
    return problems;
  },
};

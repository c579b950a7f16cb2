// PII-scan gate (docs/anonymization.md#gates): sampled values of every scannable column (text,
// json, text arrays, IP addresses, search vectors) of every table and materialized view, safe
// columns included: a real-looking email, phone, card… anywhere blocks promotion.
import { detectPii, PII_LABELS, type PiiKind } from '../detect.js';
import { displayTable, quoteIdent } from '../quote.js';
import { isScannable } from '../value-kind.js';
import type { Gate } from './check.js';

/** Columns whose sampled values the detectors read (kept under this name for the scanner). */
export const isTextual = isScannable;

export const piiGate: Gate = {
  name: 'pii-scan',
  async run({ catalog, scope, samples }) {
    const problems: string[] = [];
    for (const table of [...catalog.tables, ...catalog.views]) {
      const sample = await samples.of(table);
      for (const [column, values] of sample.texts) {
        const hits = new Map<PiiKind, number>();
        for (const value of values) {
          if (value === null) continue;
          for (const kind of detectPii(value, scope.allowedDomains)) hits.set(kind, (hits.get(kind) ?? 0) + 1);
        }
        for (const [kind, count] of hits) {
          problems.push(
            `${displayTable(table.name)}.${quoteIdent(column)}: ${count} of ${sample.rows} sampled values look like ${PII_LABELS[kind]}; mask the column (or, if the values are public, declare it { strategy: safe, scan: false })`,
          );
        }
      }
    }
    return problems;
  },
};

// `refork scan`: proposes rules for a database from column names and sampled values (emails,
// phones, cards, IBANs, IPs, tokens…). Values are only matched in memory; none is returned.
import type pg from 'pg';
import { loadCatalog } from './catalog.js';
import { suggestForColumn, type Suggestion } from './classify.js';
import { detectPii, PII_LABELS, type PiiKind } from './detect.js';
import { isTextual } from './gates/pii.js';
import { displayTable } from './quote.js';
import { tableRuleKey } from './rules.js';
import { sampleColumns } from './sample.js';

export interface ScannedColumn {
  table: string;
  column: string;
  type: string;
  suggestion: Suggestion;
  /** Sampled values that matched each detector. */
  hits: Partial<Record<PiiKind, number>>;
  sampled: number;
}

export interface ScanReport {
  columns: ScannedColumn[];
  /** A complete `anonymize:` section to review: every table, every column. */
  suggestedRules: string;
}

/** What to write for a column whose values (not just its name) look like `kind`. */
function fromValues(kind: PiiKind, textual: boolean, notNull: boolean, unique: boolean): string {
  if (kind === 'email' && textual) return 'email';
  if (kind === 'phone' && textual && !unique) return '{ strategy: fake, kind: phone }';
  if (unique || notNull) return textual ? 'hash' : '{ strategy: constant, value: "REPLACE ME" }';
  return 'null';
}

export async function scanForPii(connect: () => Promise<pg.Client>): Promise<ScanReport> {
  const client = await connect();
  try {
    const catalog = await loadCatalog(client);
    const columns: ScannedColumn[] = [];
    const yaml: string[] = ['anonymize:', '  tables:'];
    for (const table of catalog.tables) {
      const textual = table.columns.filter(isTextual).map((column) => column.name);
      const sample = await sampleColumns(client, table.name, table.estimatedRows, textual);
      yaml.push(`    ${JSON.stringify(tableRuleKey(table.name))}:`, '      columns:');
      for (const column of table.columns) {
        const index = sample.columns.indexOf(column.name);
        const hits: Partial<Record<PiiKind, number>> = {};
        if (index >= 0) {
          for (const row of sample.rows) {
            const value = row[index];
            if (value === null || value === undefined) continue;
            for (const kind of detectPii(value)) hits[kind] = (hits[kind] ?? 0) + 1;
          }
        }
        let suggestion = suggestForColumn(column);
        const strongest = (Object.entries(hits) as Array<[PiiKind, number]>).sort((a, b) => b[1] - a[1])[0];
        if (column.generated) suggestion = { yaml: '', reason: 'generated: recomputed from the other columns', pii: false };
        else if (strongest && !column.primaryKey) {
          suggestion = {
            yaml: fromValues(strongest[0], column.category === 'S', column.notNull, column.unique),
            reason: `${strongest[1]} of ${sample.rows.length} sampled values look like ${PII_LABELS[strongest[0]]}`,
            pii: true,
          };
        }
        columns.push({
          table: displayTable(table.name),
          column: column.name,
          type: column.type,
          suggestion,
          hits,
          sampled: index >= 0 ? sample.rows.length : 0,
        });
        if (suggestion.yaml) yaml.push(`        ${JSON.stringify(column.name)}: ${suggestion.yaml}   # ${suggestion.reason}`);
      }
    }
    return { columns, suggestedRules: yaml.join('\n') };
  } finally {
    await client.end().catch(() => {});
  }
}

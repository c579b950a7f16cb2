// One sampling pass per table serves every gate that reads rows: the format check of each masked
// column and the PII scan of every scannable column are computed from the same sampled rows.
// Sampling (sample.ts) takes one random row from each of about 1,000 pages spread over the whole
// table: when at least 1 % of a table's pages hold a defect, the chance that no sampled row shows
// it is 0.99^1000 < 0.01 %. Defects rarer than that are the residual check's: it runs inside each
// table's own masking transaction, and the ledger gate proves it ran.
import type pg from 'pg';
import type { TableInfo } from '../catalog.js';
import { tableKey } from '../catalog.js';
import { formatPredicate } from '../formats.js';
import type { Plan } from '../plan.js';
import { quoteIdent } from '../quote.js';
import { sampledText, sampleRows } from '../sample.js';
import { SqlParams } from '../sql.js';
import { isScannable } from '../value-kind.js';
import type { ScanScope } from './scope.js';

export const SAMPLED_ROWS = 1000;

export interface TableSample {
  /** Rows sampled. */
  rows: number;
  /** Masked column → sampled values that do not have the shape its strategy gives. */
  misshapen: Map<string, number>;
  /** Scannable column (not exempt) → its sampled values as text. */
  texts: Map<string, Array<string | null>>;
}

export interface TableSamples {
  of(table: TableInfo): Promise<TableSample>;
}

/** `fixupXids`: transactions of fix-ups (as `xmin` shows them), whose rows no masked shape is asked of. */
export function tableSamples(client: pg.Client, plan: Plan, scope: ScanScope, key: string, fixupXids: string[] = []): TableSamples {
  const cache = new Map<string, Promise<TableSample>>();
  const steps = new Map(plan.updates.map((step) => [tableKey(step.table), step]));
  const take = async (table: TableInfo): Promise<TableSample> => {
    const params = new SqlParams(key);
    const checks: Array<{ column: string; sql: string }> = [];
    for (const masked of steps.get(tableKey(table.name))?.columns ?? []) {
      const column = table.columns.find((candidate) => candidate.name === masked.column);
      if (!column) continue;
      const ref = `r.${quoteIdent(column.name)}`;
      const predicate = formatPredicate(masked.strategy, column, { text: `${ref}::text`, typed: ref }, params);
      if (!predicate) continue;
      const byFixup = fixupXids.length > 0 ? ` OR r.xmin::text = ANY (${params.shared('fixupXids', fixupXids)}::text[])` : '';
      checks.push({ column: column.name, sql: `(COALESCE(${predicate}, false)${byFixup})` });
    }
    const scanned = table.columns.filter((column) => isScannable(column) && !scope.exempt(table.name, column.name)).map((c) => c.name);
    const rows = await sampleRows<unknown[]>(
      client,
      table,
      [...checks.map((check) => check.sql), ...scanned.map(sampledText)],
      params.values,
      SAMPLED_ROWS,
    );
    const misshapen = new Map(checks.map((check, index) => [check.column, rows.filter((row) => row[index] !== true).length]));
    const texts = new Map(
      scanned.map((column, index) => [column, rows.map((row) => (row[checks.length + index] ?? null) as string | null)]),
    );
    return { rows: rows.length, misshapen, texts };
  };
  return {
    of(table) {
      const key = tableKey(table.name);
      let sample = cache.get(key);
      if (!sample) cache.set(key, (sample = take(table)));
      return sample;
    },
  };
}

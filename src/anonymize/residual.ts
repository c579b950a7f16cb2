// The residual check (docs/anonymization.md#masking-a-table), where it cannot be skipped:
// inside each table's masking transaction. Before the
// UPDATE, a sample of original values is read back only as keyed hashes (kept in memory, never
// written); after it, none of those rows may still hold its original value, or the transaction
// rolls back and the table stays unmasked (and unmarked in the ledger).
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import type { TableStep } from './plan.js';
import { ROW_ALIAS } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';
import type { ColumnStrategy } from './rules.js';
import { SqlParams } from './sql.js';
import { hmacHex, type CompileContext } from './strategies.js';

const SAMPLE = 100;

/** Strategies whose output must differ from the input. Not constant (an original may equal it),
 * noise (rounding can keep small values), fake (a real name can be drawn), sql and json (open-ended). */
function mustChange(strategy: ColumnStrategy): boolean {
  return ['null', 'hash', 'email', 'partial', 'shift'].includes(strategy.kind);
}

export interface ResidualResult {
  /** Column → sampled non-null originals and how many were still there after masking. */
  columns: Record<string, { sampled: number; unchanged: number }>;
}

export interface ResidualProbe {
  /** Call after the UPDATE, in the same transaction; throws when an original value survived. */
  check(): Promise<ResidualResult>;
}

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

/** `within`: a condition over the row alias that the sampled rows must meet (a stripe's rows: docs/disk.md). */
export async function sampleOriginals(
  client: pg.Client,
  step: UpdateStep,
  table: TableInfo,
  key: string,
  within?: string,
): Promise<ResidualProbe> {
  const columns = step.columns.filter((column) => mustChange(column.strategy)).map((column) => column.column);
  if (columns.length === 0) return { check: async () => ({ columns: {} }) };
  const masked = new Set(step.columns.map((column) => column.column));
  const keyColumns = table.columns.filter((column) => column.primaryKey).map((column) => column.name);
  // Rows are found again by primary key; without one (or when the key itself is masked) the whole column is searched.
  const byKey = keyColumns.length > 0 && keyColumns.every((column) => !masked.has(column));

  const params = new SqlParams(key);
  const ctx: CompileContext = { params };
  const ref = (column: string) => `${ROW_ALIAS}.${quoteIdent(column)}`;
  const hashes = columns.map((column) => `${hmacHex(`${ref(column)}::text`, ctx)}`);
  const identity = byKey
    ? `jsonb_build_object(${keyColumns.map((column) => `${params.add(column)}::text, ${ref(column)}`).join(', ')})`
    : 'NULL::jsonb';
  // As the UPDATE reads it: a child of an inheritance parent (LedgerSMB's notes) is masked by its own rule, later.
  const relation = `${table.partitioned ? '' : 'ONLY '}${quoteTable(table.name)}`;
  // Within a stripe, the rows are its first ones met (the scan stops at the sample's size).
  const percent =
    within === undefined && table.estimatedRows > SAMPLE * 50 ? Math.min(100, (SAMPLE * 50 * 100) / table.estimatedRows) : undefined;
  const from = `${relation} AS ${ROW_ALIAS}${percent === undefined ? '' : ` TABLESAMPLE SYSTEM (${percent.toFixed(6)})`}`;
  const before = await client.query<Array<string | null>>({
    text: `SELECT ${identity}::text, ${hashes.join(', ')} FROM ${from}
            WHERE ${within === undefined ? '' : `(${within}) AND `}(${columns.map((column) => `${ref(column)} IS NOT NULL`).join(' OR ')}) LIMIT ${SAMPLE}`,
    values: params.values,
    rowMode: 'array',
  });
  const ids = before.rows.map((row) => row[0] ?? null);
  const originals = columns.map((_, index) => before.rows.map((row) => row[index + 1] ?? null));

  return {
    async check() {
      const after = new SqlParams(key);
      const afterCtx: CompileContext = { params: after };
      const idsParam = byKey ? after.add(ids) : '';
      const lists = originals.map((values) => after.add(values));
      // Only the key's columns: a whole row of the table's type would put NULL in a NOT NULL domain column.
      const keyDefinitions = table.columns
        .filter((column) => column.primaryKey)
        .map((column) => `${quoteIdent(column.name)} ${column.type}`)
        .join(', ');
      const counts = columns.map((column, index) =>
        byKey
          ? `pg_catalog.count(*) FILTER (WHERE ${hmacHex(`${ref(column)}::text`, afterCtx)} = s.h${index})`
          : `pg_catalog.count(*) FILTER (WHERE ${hmacHex(`${ref(column)}::text`, afterCtx)} = ANY (${lists[index]}::text[]))`,
      );
      const sql = byKey
        ? `SELECT ${counts.join(', ')}
             FROM unnest(${idsParam}::jsonb[], ${lists.map((list) => `${list}::text[]`).join(', ')}) AS s(id, ${columns.map((_, index) => `h${index}`).join(', ')})
             CROSS JOIN LATERAL pg_catalog.jsonb_to_record(s.id) AS k(${keyDefinitions})
             JOIN ${relation} AS ${ROW_ALIAS} ON ${keyColumns.map((column) => `${ref(column)} = k.${quoteIdent(column)}`).join(' AND ')}`
        : `SELECT ${counts.join(', ')} FROM ${relation} AS ${ROW_ALIAS}`;
      const result = await client.query<Array<string>>({ text: sql, values: after.values, rowMode: 'array' });
      const row = result.rows[0] ?? [];
      const report: ResidualResult = { columns: {} };
      columns.forEach((column, index) => {
        const sampled = (originals[index] ?? []).filter((value) => value !== null).length;
        const unchanged = Number(row[index] ?? 0);
        report.columns[column] = { sampled, unchanged };
        if (unchanged > 0) {
          throw new Error(
            `residual check: ${unchanged} of ${sampled} sampled original values of column ${quoteIdent(column)} are still there after masking`,
          );
        }
      });
      return report;
    },
  };
}

// Statistics gate (docs/anonymization.md#gates): pg_stats (most common values and elements,
// histogram bounds), expression-index and extended statistics are readable by anyone with
// SELECT and keep original values until ANALYZE. Masked columns' statistics must look masked,
// and no statistics of a column that can hold text (by its type: numbers, uuids and dates
// cannot) may look like personal data. Partitions' and indexes' statistics are read with their
// table's rules.
import type pg from 'pg';
import { COLUMN_TYPE_JOINS, EXCLUDED_SCHEMAS, type Catalog } from '../catalog.js';
import { detectPii, PII_LABELS } from '../detect.js';
import { formatPredicate } from '../formats.js';
import type { Plan } from '../plan.js';
import type { AppliedFixup } from '../fixups.js';
import { displayTable, quoteIdent, quoteTable, type TableName } from '../quote.js';
import { SqlParams } from '../sql.js';
import { isScannable } from '../value-kind.js';
import type { Gate } from './check.js';
import type { ScanScope } from './scope.js';

export const statisticsGate: Gate = {
  name: 'statistics',
  async run({ client, catalog, plan, scope, key, fixups }) {
    return [
      ...(await staleMaskedStatistics(client, catalog, plan, key, fixups.applied)),
      ...(await personalStatistics(client, catalog, scope)),
    ];
  },
};

/**
 * Masked columns whose statistics (the table's, each partition's) hold values their strategy
 * cannot give, other than values a fix-up wrote (docs/fixups.md#verification: those are the
 * pipeline's own, and autovacuum may analyze a table after its fix-ups).
 */
async function staleMaskedStatistics(
  client: pg.Client,
  catalog: Catalog,
  plan: Plan,
  key: string,
  fixups: AppliedFixup[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const step of plan.updates) {
    const table = catalog.find(step.table);
    if (!table) continue;
    const params = new SqlParams(key);
    const cases: Array<{ column: string; predicate: string }> = [];
    for (const masked of step.columns) {
      const column = table.columns.find((candidate) => candidate.name === masked.column);
      const predicate = column && formatPredicate(masked.strategy, column, { text: 'v' }, params);
      if (column && predicate) cases.push({ column: column.name, predicate });
    }
    if (cases.length === 0) continue;
    const relations = [table.name, ...table.partitions];
    const schemas = params.add(relations.map((relation) => relation.schema));
    const names = params.add(relations.map((relation) => relation.table));
    const check = cases.map((item) => `WHEN ${params.add(item.column)}::text THEN ${item.predicate}`).join(' ');
    // A partitioned table's statistics are its partitions' (inherited), masked by its rules. An
    // inheritance parent's inherited statistics mix in its children, masked by their own rules:
    // its own rows' statistics are what its strategies gave (the PII scan still reads the others).
    const own = table.partitions.length > 0 ? '' : 'AND NOT s.inherited';
    const result = await client.query<{ attname: string; values: string[] }>(
      `SELECT s.attname, array_agg(DISTINCT v) AS values
         FROM pg_catalog.pg_stats s,
              LATERAL unnest(COALESCE(s.most_common_vals::text::text[], '{}') || COALESCE(s.histogram_bounds::text::text[], '{}')) AS v
        WHERE (s.schemaname, s.tablename) IN (SELECT * FROM unnest(${schemas}::text[], ${names}::text[])) ${own}
          AND NOT COALESCE(CASE s.attname::text ${check} ELSE true END, false)
        GROUP BY s.attname`,
      params.values,
    );
    for (const row of result.rows) {
      if (await writtenByFixups(client, relations, row.attname, row.values, fixups)) continue;
      problems.push(`pg_stats for ${step.display}.${quoteIdent(row.attname)} still holds unmasked values: run ANALYZE ${step.display}`);
    }
  }
  return problems;
}

/** Every one of `values` is in `column` of a row a fix-up wrote last, in one of `relations`. */
async function writtenByFixups(client: pg.Client, relations: TableName[], column: string, values: string[], fixups: AppliedFixup[]) {
  const keys = new Set(relations.map((relation) => `${relation.schema}.${relation.table}`));
  const written = new Map<string, { relation: TableName; xids: string[] }>();
  for (const fixup of fixups) {
    for (const table of fixup.tables) {
      const key = `${table.schema}.${table.table}`;
      if (!keys.has(key)) continue;
      const entry = written.get(key) ?? { relation: table, xids: [] };
      entry.xids.push(fixup.xid);
      written.set(key, entry);
    }
  }
  if (written.size === 0) return false;
  const left = new Set(values);
  for (const { relation, xids } of written.values()) {
    const found = await client.query<{ value: string }>(
      `SELECT DISTINCT r.${quoteIdent(column)}::text AS value FROM ONLY ${quoteTable(relation)} AS r
        WHERE r.xmin::text = ANY ($1::text[]) AND r.${quoteIdent(column)}::text = ANY ($2::text[])`,
      [xids, [...left]],
    );
    for (const row of found.rows) left.delete(row.value);
    if (left.size === 0) return true;
  }
  return false;
}

interface StatisticsRow {
  schema: string;
  relation: string;
  column: string;
  /** For an expression index's statistics: the table it indexes. */
  table_schema: string | null;
  table_name: string | null;
  base_type: string;
  category: string;
  element_type: string | null;
  element_category: string | null;
  values: string;
}

/** Statistics anywhere whose values look like personal data, for columns whose type can hold it. */
async function personalStatistics(client: pg.Client, catalog: Catalog, scope: ScanScope): Promise<string[]> {
  const columns = await client.query<StatisticsRow>(
    `SELECT s.schemaname AS schema, s.tablename AS relation, s.attname AS column,
            tn.nspname AS table_schema, tc.relname AS table_name,
            b.typname AS base_type, b.typcategory::text AS category, eb.typname AS element_type, eb.typcategory::text AS element_category,
            concat_ws(' ', s.most_common_vals::text, s.histogram_bounds::text, s.most_common_elems::text) AS values
       FROM pg_catalog.pg_stats s
       JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
       ${COLUMN_TYPE_JOINS}
       LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
       LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE s.schemaname <> ALL ($1::text[])`,
    [EXCLUDED_SCHEMAS],
  );
  const extended = await client.query<{ schema: string; table: string; name: string; columns: string[] | null; values: string }>(
    `SELECT s.schemaname AS schema, s.tablename AS table, s.statistics_name AS name, s.attnames::text[] AS columns,
            COALESCE(s.most_common_vals::text, '') AS values
       FROM pg_catalog.pg_stats_ext s WHERE s.schemaname <> ALL ($1::text[])
     UNION ALL
     SELECT x.schemaname, x.tablename, x.statistics_name, NULL,
            concat_ws(' ', x.most_common_vals::text, x.histogram_bounds::text, x.most_common_elems::text)
       FROM pg_catalog.pg_stats_ext_exprs x WHERE x.schemaname <> ALL ($1::text[])`,
    [EXCLUDED_SCHEMAS],
  );
  const problems: string[] = [];
  const report = (values: string, what: string, masked: boolean) => {
    for (const kind of detectPii(values, scope.allowedDomains)) {
      problems.push(
        masked
          ? `statistics of ${what} hold what look like ${PII_LABELS[kind]}: run ANALYZE on it after masking`
          : `statistics of ${what} hold what look like ${PII_LABELS[kind]}, and the column is not masked: mask it, or declare it { strategy: safe, scan: false } if its values are public`,
      );
    }
  };
  for (const row of columns.rows) {
    if (!row.values || !isScannable(typed(row))) continue;
    if (row.table_schema !== null && row.table_name !== null) {
      // An expression index (unique on lower(email)): its statistics are its table's to refresh.
      report(row.values, `index ${row.schema}.${row.relation} (${row.column}) on ${row.table_schema}.${row.table_name}`, true);
      continue;
    }
    const relation: TableName = { schema: row.schema, table: row.relation };
    if (scope.exempt(relation, row.column)) continue;
    report(row.values, `${row.schema}.${row.relation}.${row.column}`, scope.masked(relation, row.column));
  }
  for (const row of extended.rows) {
    const relation: TableName = { schema: row.schema, table: row.table };
    const table = catalog.find(catalog.partitionRoot(relation) ?? relation);
    // Statistics over columns: read when one of them can hold personal text; over expressions: always.
    const scanned = row.columns?.filter((name) => {
      const column = table?.columns.find((candidate) => candidate.name === name);
      return (column === undefined || isScannable(column)) && !scope.exempt(relation, name);
    });
    if (!row.values || scanned?.length === 0) continue;
    report(
      row.values,
      `${displayTable(relation)} (extended statistics ${row.name})`,
      (scanned ?? []).some((name) => scope.masked(relation, name)),
    );
  }
  return problems;
}

function typed(row: StatisticsRow) {
  return {
    baseType: row.base_type,
    category: row.category,
    ...(row.element_type && row.element_category ? { element: { baseType: row.element_type, category: row.element_category } } : {}),
  };
}

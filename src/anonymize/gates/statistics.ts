// Statistics gate (docs/anonymization.md#gates): pg_stats (most common values, histogram bounds) and extended statistics are readable by
// anyone with SELECT and keep original values until ANALYZE. Masked columns' statistics must
// look masked, and no statistics anywhere may look like personal data.
import { EXCLUDED_SCHEMAS } from '../catalog.js';
import { detectPii, PII_LABELS } from '../detect.js';
import { formatPredicate } from '../formats.js';
import { quoteIdent, quoteTable } from '../quote.js';
import { SqlParams } from '../sql.js';
import type { Gate } from './check.js';
import { scanScope } from './scope.js';

export const statisticsGate: Gate = {
  name: 'statistics',
  async run({ client, catalog, plan, rules, key }) {
    const problems: string[] = [];
    for (const step of plan.updates) {
      const table = catalog.find(step.table);
      if (!table) continue;
      for (const masked of step.columns) {
        const column = table.columns.find((candidate) => candidate.name === masked.column);
        if (!column) continue;
        const params = new SqlParams(key);
        const relation = params.add(quoteTable(table.name));
        const attname = params.add(column.name);
        const predicate = formatPredicate(masked.strategy, column, { text: 'v' }, params);
        if (!predicate) continue;
        const result = await client.query<{ n: string }>(
          `SELECT pg_catalog.count(*) AS n
             FROM pg_catalog.pg_stats s,
                  LATERAL unnest(COALESCE(s.most_common_vals::text::text[], '{}') || COALESCE(s.histogram_bounds::text::text[], '{}')) AS v
            WHERE pg_catalog.format('%I.%I', s.schemaname, s.tablename)::regclass IN
                  (SELECT ${relation}::regclass UNION SELECT relid FROM pg_catalog.pg_partition_tree(${relation}::regclass))
              AND s.attname = ${attname}::text AND NOT COALESCE(${predicate}, false)`,
          params.values,
        );
        if (Number(result.rows[0]?.n ?? 0) > 0) {
          problems.push(`pg_stats for ${step.display}.${quoteIdent(column.name)} still holds unmasked values: run ANALYZE ${step.display}`);
        }
      }
    }

    const scope = scanScope(rules);
    const stats = await client.query<{ schema: string; table: string; column: string; values: string | null }>(
      `SELECT schemaname AS schema, tablename AS table, attname AS column,
              COALESCE(most_common_vals::text, '') || ' ' || COALESCE(histogram_bounds::text, '') AS values
         FROM pg_catalog.pg_stats WHERE schemaname <> ALL ($1::text[])
       UNION ALL
       SELECT s.statistics_schemaname, s.tablename, s.statistics_name, s.most_common_vals::text
         FROM pg_catalog.pg_stats_ext s WHERE s.schemaname <> ALL ($1::text[])`,
      [EXCLUDED_SCHEMAS],
    );
    for (const row of stats.rows) {
      if (!row.values || scope.exempt({ schema: row.schema, table: row.table }, row.column)) continue;
      for (const kind of detectPii(row.values, scope.allowedDomains)) {
        problems.push(
          `statistics of ${row.schema}.${row.table}.${row.column} hold what look like ${PII_LABELS[kind]}: run ANALYZE on it after masking`,
        );
      }
    }
    return problems;
  },
};

// Formats gate (docs/anonymization.md#gates): sampled values of every masked column look like that strategy's output,
// e.g. every email is u…@example.test; a value that does not was never masked.
import { formatPredicate } from '../formats.js';
import { quoteIdent, quoteTable } from '../quote.js';
import { SqlParams } from '../sql.js';
import type { Gate } from './check.js';

const ROWS = 1000;

export const formatsGate: Gate = {
  name: 'formats',
  async run({ client, catalog, plan, key }) {
    const problems: string[] = [];
    for (const step of plan.updates) {
      const table = catalog.find(step.table);
      if (!table) continue;
      const params = new SqlParams(key);
      const counts: Array<{ column: string; sql: string }> = [];
      for (const masked of step.columns) {
        const column = table.columns.find((candidate) => candidate.name === masked.column);
        if (!column) continue;
        const ref = `s.${quoteIdent(column.name)}`;
        const predicate = formatPredicate(masked.strategy, column, { text: `${ref}::text`, typed: ref }, params);
        if (predicate) counts.push({ column: column.name, sql: `pg_catalog.count(*) FILTER (WHERE NOT COALESCE(${predicate}, false))` });
      }
      if (counts.length === 0) continue;
      const percent = table.estimatedRows > ROWS * 20 ? Math.min(100, (ROWS * 20 * 100) / table.estimatedRows) : undefined;
      const from = percent === undefined ? quoteTable(table.name) : `${quoteTable(table.name)} TABLESAMPLE SYSTEM (${percent.toFixed(6)})`;
      const result = await client.query<Array<string>>({
        text: `SELECT ${counts.map((count) => count.sql).join(', ')} FROM (SELECT * FROM ${from} LIMIT ${ROWS}) s`,
        values: params.values,
        rowMode: 'array',
      });
      const row = result.rows[0] ?? [];
      counts.forEach((count, index) => {
        const bad = Number(row[index] ?? 0);
        if (bad > 0)
          problems.push(
            `${step.display}.${quoteIdent(count.column)}: ${bad} sampled values do not look masked (wrong shape for its strategy)`,
          );
      });
    }
    return problems;
  },
};

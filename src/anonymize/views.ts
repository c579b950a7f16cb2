// Materialized views are copies computed from the original rows: each one is refreshed (and
// re-analyzed) after its inputs are masked, or it would still serve production data.
import type pg from 'pg';
import { EXCLUDED_SCHEMAS } from './catalog.js';
import { displayTable, quoteTable, type TableName } from './quote.js';

export interface MaterializedView {
  name: TableName;
  display: string;
  populated: boolean;
}

/** Every materialized view, views that read other views after them (creation order respects that). */
export async function listMaterializedViews(client: pg.Client): Promise<MaterializedView[]> {
  const result = await client.query<{ schema: string; name: string; populated: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relispopulated AS populated
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'm' AND n.nspname <> ALL ($1::text[])
      ORDER BY c.oid`,
    [EXCLUDED_SCHEMAS],
  );
  return result.rows.map((row) => {
    const name = { schema: row.schema, table: row.name };
    return { name, display: displayTable(name), populated: row.populated };
  });
}

/** Refreshes and analyzes one view; an unpopulated view holds no rows and is left unpopulated. */
export async function refreshMaterializedView(client: pg.Client, view: MaterializedView): Promise<number> {
  if (!view.populated) return 0;
  await client.query(`REFRESH MATERIALIZED VIEW ${quoteTable(view.name)}`);
  await client.query(`ANALYZE ${quoteTable(view.name)}`);
  // ANALYZE just counted (or estimated, on a big view) the rows: no second scan for a number.
  const count = await client.query<{ n: number }>(`SELECT c.reltuples::float8 AS n FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass`, [
    quoteTable(view.name),
  ]);
  return Math.max(0, Math.round(count.rows[0]?.n ?? 0));
}

// Inspects a promoted database against production: which original personal values it still
// holds, anywhere (every table and partition, views, materialized views, pg_stats, tsvector and
// other derived columns, refork's own schema), and whether its structure is production's.
import type pg from 'pg';
import { withClient } from '../support/pg.js';
import { tokensOf, type PersonalData, type TokenOwner } from './personal.js';

export interface Leak {
  /** Where the original value was found: `public.customer_list (view)`, `pg_stats public.customer.email`… */
  where: string;
  /** The column the value was written to. */
  from: string;
}

export interface LeakReport {
  /** Original personal values found (each counted once, wherever and however often it was found). */
  leakedValues: number;
  /** Of those, the values found by their tokens (the rest by an unchanged cell). */
  tokenValues: number;
  /** One line per place and source column, with how many values. */
  leaks: string[];
  /** Relations that could not be read (a view calling a function that fails), as notes. */
  unreadable: string[];
}

const USER_RELATIONS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/** Every text the promoted database can show a reader, with where it came from. */
async function* texts(client: pg.Client, unreadable: string[]): AsyncGenerator<{ where: string; text: string }> {
  const relations = await client.query<{ qualified: string; display: string; kind: string }>(
    `SELECT c.oid::regclass::text AS qualified, pg_catalog.format('%s.%s', n.nspname, c.relname) AS display,
            CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (c.relkind IN ('r', 'v') OR (c.relkind = 'm' AND c.relispopulated)) AND ${USER_RELATIONS}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 2`,
  );
  for (const relation of relations.rows) {
    // Partitions are read one by one (ONLY), so a value is reported where it sits.
    const only = relation.kind === 'table' ? 'ONLY ' : '';
    const where = relation.kind === 'table' ? relation.display : `${relation.display} (${relation.kind})`;
    try {
      await client.query('SAVEPOINT read');
      const rows = await client.query<{ t: string }>(`SELECT t::text AS t FROM ${only}${relation.qualified} t`);
      await client.query('RELEASE SAVEPOINT read');
      for (const row of rows.rows) yield { where, text: row.t };
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT read');
      unreadable.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const stats = await client.query<{ where: string; text: string }>(
    `SELECT pg_catalog.format('pg_stats %s.%s.%s', schemaname, tablename, attname) AS where,
            concat_ws(' ', most_common_vals::text, histogram_bounds::text, most_common_elems::text) AS text
       FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
     UNION ALL
     SELECT pg_catalog.format('pg_stats_ext %s.%s', statistics_schemaname, statistics_name), most_common_vals::text
       FROM pg_stats_ext WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
     UNION ALL
     SELECT pg_catalog.format('pg_stats_ext_exprs %s.%s', statistics_schemaname, statistics_name),
            concat_ws(' ', most_common_vals::text, histogram_bounds::text)
       FROM pg_stats_ext_exprs WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  for (const row of stats.rows) if (row.text) yield row;
  const comments = await client.query<{ where: string; text: string }>(
    `SELECT 'comment on ' || d.objoid::regclass::text AS where, d.description AS text
       FROM pg_description d WHERE d.classoid = 'pg_class'::regclass AND d.objoid >= 16384`,
  );
  yield* comments.rows;
}

/**
 * Personal values of production in the promoted database. Text-like values are found by their
 * tokens anywhere; dates, numbers and bytea (`rowCompared`) are compared row by row through the
 * primary key, since the same date can honestly appear twice.
 */
export async function findLeaks(
  promotedUrl: string,
  productionUrl: string,
  personal: PersonalData,
  rowCompared: Map<string, string[]>,
): Promise<LeakReport> {
  const unreadable: string[] = [];
  const found = new Map<string, Set<number>>();
  const leakedValues = new Set<string>();
  const note = (where: string, owner: Pick<TokenOwner, 'table' | 'column'>, value: string) => {
    const key = `${where} ← ${owner.table}.${owner.column}`;
    let values = found.get(key);
    if (!values) found.set(key, (values = new Set()));
    values.add(values.size);
    leakedValues.add(value);
  };
  await withClient(promotedUrl, async (client) => {
    await client.query('BEGIN READ ONLY');
    for await (const { where, text } of texts(client, unreadable)) {
      for (const token of tokensOf(text)) {
        const owner = personal.tokens.get(token);
        if (owner) note(where, owner, `v${owner.value}`);
      }
    }
    await client.query('ROLLBACK');
  });
  for (const [table, columns] of rowCompared) {
    const read = (url: string) => withClient(url, (client) => rowsByKey(client, table, columns));
    const [before, after] = await Promise.all([read(productionUrl), read(promotedUrl)]);
    if (!before || !after) {
      unreadable.push(`${table}: no primary key, so ${columns.join(', ')} could not be compared row by row`);
      continue;
    }
    for (const [key, values] of before) {
      const now = after.get(key);
      columns.forEach((column, index) => {
        const original = values[index];
        if (original !== null && original !== undefined && now?.[index] === original) {
          note(`${table}.${column} (same row, unchanged)`, { table, column }, `${table}.${column}.${key}`);
        }
      });
    }
  }
  const leaks = [...found].map(([key, values]) => `${key}: ${values.size} value(s)`);
  const tokenValues = [...leakedValues].filter((value) => /^v\d+$/.test(value)).length;
  return { leakedValues: leakedValues.size, tokenValues, leaks, unreadable };
}

/** Primary key (as text) → md5 of each column's text; undefined when the table has no primary key. */
async function rowsByKey(client: pg.Client, table: string, columns: string[]): Promise<Map<string, Array<string | null>> | undefined> {
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indisprimary AND i.indrelid = to_regclass($1)::oid ORDER BY a.attnum`,
    [quoted(table)],
  );
  if (key.rows.length === 0) return undefined;
  const keyText = key.rows.map((row) => `${ident(row.name)}::text`).join(` || '/' || `);
  const values = columns.map((column) => `md5(${ident(column)}::text)`).join(', ');
  const result = await client.query<{ k: string; v: Array<string | null> }>(
    `SELECT ${keyText} AS k, ARRAY[${values}] AS v FROM ${quoted(table)}`,
  );
  return new Map(result.rows.map((row) => [row.k, row.v]));
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.table` (as the truth file writes it) → `"schema"."table"`. */
export function quoted(table: string): string {
  const dot = table.indexOf('.');
  return `${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))}`;
}

/**
 * What must be the same in production and the promoted database, one line per object. Names of
 * roles refork's add-ons own are replaced by OWNER: each add-on has a role of its own.
 */
export async function structureOf(url: string): Promise<Map<string, string>> {
  return withClient(url, async (client) => {
    const owner =
      (
        await client.query<{ owner: string }>(
          `SELECT pg_catalog.pg_get_userbyid(d.datdba) AS owner FROM pg_database d WHERE d.datname = current_database()`,
        )
      ).rows[0]?.owner ?? '';
    const items = new Map<string, string>();
    const add = (rows: Array<{ k: string; v: string | null }>) => {
      for (const row of rows) items.set(row.k, (row.v ?? '').replaceAll(owner, 'OWNER'));
    };
    const scope = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'refork') AND n.nspname NOT LIKE 'pg\\_%'`;
    const q = async (sql: string) => add((await client.query<{ k: string; v: string | null }>(sql)).rows);
    const relations = await client.query<{ qualified: string }>(
      `SELECT c.oid::regclass::text AS qualified
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated)) AND ${scope}`,
    );
    for (const relation of relations.rows) {
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${relation.qualified}`);
      items.set(`rows ${relation.qualified}`, count.rows[0]?.n ?? '?');
    }
    await q(`SELECT 'relation ' || c.oid::regclass::text AS k,
                    concat_ws(' ', c.relkind::text, c.relpersistence::text, 'rls=' || c.relrowsecurity, 'force=' || c.relforcerowsecurity,
                              'acl=' || c.relacl::text, 'populated=' || c.relispopulated) AS v
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND ${scope}`);
    await q(`SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname AS k,
                    concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod), 'notnull=' || a.attnotnull,
                              'generated=' || a.attgenerated::text, pg_catalog.pg_get_expr(d.adbin, d.adrelid), 'acl=' || a.attacl::text) AS v
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND ${scope}`);
    await q(`SELECT 'constraint ' || k.conrelid::regclass::text || ' ' || k.conname AS k,
                    pg_catalog.pg_get_constraintdef(k.oid) || ' validated=' || k.convalidated AS v
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${scope}`);
    await q(`SELECT 'index ' || i.indexrelid::regclass::text AS k,
                    pg_catalog.pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid || ' ready=' || i.indisready AS v
               FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${scope}`);
    await q(`SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname AS k,
                    pg_catalog.pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text AS v
               FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE NOT t.tgisinternal AND ${scope}`);
    await q(`SELECT 'partition ' || i.inhrelid::regclass::text AS k,
                    i.inhparent::regclass::text || ' ' || COALESCE(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'inherits') AS v
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${scope}`);
    await q(`SELECT 'policy ' || schemaname || '.' || tablename || ' ' || policyname AS k,
                    concat_ws(' ', permissive, roles::text, cmd, qual, with_check) AS v
               FROM pg_policies WHERE schemaname NOT IN ('refork')`);
    await q(`SELECT 'view ' || c.oid::regclass::text AS k, pg_catalog.pg_get_viewdef(c.oid) AS v
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${scope}`);
    await q(`SELECT 'extension ' || extname AS k, extversion || ' ' || extnamespace::regnamespace::text AS v FROM pg_extension`);
    await q(`SELECT 'publication ' || p.pubname || ' ' || r.prrelid::regclass::text AS k, '' AS v
               FROM pg_publication p JOIN pg_publication_rel r ON r.prpubid = p.oid`);
    return items;
  });
}

/** Lines that differ: missing in the promoted database, added, or changed. */
export function compareStructure(production: Map<string, string>, promoted: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [key, value] of production) {
    const now = promoted.get(key);
    if (now === undefined) differences.push(`missing: ${key}`);
    else if (now !== value) differences.push(`changed: ${key}: ${value} → ${now}`);
  }
  for (const key of promoted.keys()) if (!production.has(key)) differences.push(`added: ${key}`);
  return differences;
}

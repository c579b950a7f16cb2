// What the fork's catalog says about its user tables: columns, types, uniqueness, generated
// columns, foreign keys, partitions and triggers. Rules are checked against this before anything
// is written.
import type pg from 'pg';
import type { TableName } from './quote.js';

export interface ColumnInfo {
  name: string;
  /** `character varying(255)`, `"MyDomain"`… as format_type prints it. */
  type: string;
  /** Name of the underlying base type (domains resolved): text, varchar, int4, uuid, jsonb… */
  baseType: string;
  /** pg_type.typcategory of the base type: S string, N numeric, D date/time, A array, U user… */
  category: string;
  /** For an array: its element's base type name and category (domains resolved). */
  element?: { baseType: string; category: string };
  /** Declared length of varchar(n) / char(n), else null. */
  maxLength: number | null;
  notNull: boolean;
  generated: boolean;
  identityAlways: boolean;
  /** Part of a primary key or of any unique index (plain or expression). */
  unique: boolean;
  primaryKey: boolean;
  /** Distinct non-null values the planner's statistics estimate (pg_stats), when there are any. */
  estimatedDistinct?: number;
}

export interface TableInfo {
  name: TableName;
  partitioned: boolean;
  estimatedRows: number;
  /** Main heap and out-of-line (TOAST) sizes, and the number of indexes: inputs of the cost model. */
  heapBytes: number;
  toastBytes: number;
  indexCount: number;
  columns: ColumnInfo[];
  /** Tables (partition roots) with a foreign key pointing at this one, self-references excluded. */
  referencedBy: TableName[];
  /** Every partition below a partitioned table, at any depth (masked, sampled and analyzed through it). */
  partitions: TableName[];
  /** User triggers of the table and of its partitions (a partition's clone of the root's trigger is not repeated). */
  triggers: TriggerInfo[];
}

export interface TriggerInfo {
  name: string;
  /** The table it is declared on: the table itself, or one of its partitions. */
  on: TableName;
  timing: 'before' | 'after' | 'instead';
  forEachRow: boolean;
  events: Array<'insert' | 'update' | 'delete' | 'truncate'>;
  /** `UPDATE OF a, b`: the columns whose update fires it (empty: any update). */
  updateColumns: string[];
  /** Has a WHEN condition. */
  conditional: boolean;
  enabled: boolean;
  function: { schema: string; name: string; language: string; source: string };
  /** The trigger's arguments (TG_ARGV), as written in CREATE TRIGGER. */
  args: string[];
}

export interface Catalog {
  /** Plain and partitioned tables (partition roots only). */
  tables: TableInfo[];
  /** Materialized views: not masked themselves, but refreshed, sampled and scanned. */
  views: TableInfo[];
  find(name: TableName): TableInfo | undefined;
  /** The partitioned table a partition belongs to (its root), when `name` is a partition. */
  partitionRoot(name: TableName): TableName | undefined;
}

/** Schemas that never hold application data, plus refork's own ledger. */
export const EXCLUDED_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', 'refork'];

/**
 * Joins an attribute `a` to its type `t`, its base type `b` (a domain resolved) and, for an
 * array, its element's base type `eb`: what a column holds, whatever it is called.
 */
export const COLUMN_TYPE_JOINS = `JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
       LEFT JOIN pg_catalog.pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
       LEFT JOIN pg_catalog.pg_type eb ON eb.oid = CASE WHEN e.typtype = 'd' THEN e.typbasetype ELSE e.oid END`;

export async function loadCatalog(client: pg.Client): Promise<Catalog> {
  // Partitions are reached through their root (an UPDATE or TRUNCATE on the root covers them),
  // so only roots and plain tables are listed; partitions are listed under their root.
  const tables = await client.query<{
    oid: number;
    schema: string;
    name: string;
    relkind: string;
    reltuples: number;
    heap_bytes: string;
    toast_bytes: string;
    index_count: number;
  }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples,
            pg_catalog.pg_relation_size(c.oid) AS heap_bytes,
            CASE WHEN c.reltoastrelid <> 0 THEN pg_catalog.pg_relation_size(c.reltoastrelid) ELSE 0 END AS toast_bytes,
            (SELECT pg_catalog.count(*)::int FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid) AS index_count
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
        -- A materialized view created WITH NO DATA holds nothing, and reading it is an error.
        AND (c.relkind <> 'm' OR c.relispopulated)
        AND n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname, c.relname`,
    [EXCLUDED_SCHEMAS],
  );
  const rootOids = tables.rows.map((row) => row.oid);
  const partitions = await client.query<{
    oid: number;
    root: number;
    schema: string;
    name: string;
    reltuples: number;
    heap_bytes: string;
    toast_bytes: string;
  }>(
    `SELECT c.oid::int AS oid, pg_catalog.pg_partition_root(c.oid)::int AS root, n.nspname AS schema, c.relname AS name,
            c.reltuples::float8 AS reltuples, pg_catalog.pg_relation_size(c.oid) AS heap_bytes,
            CASE WHEN c.reltoastrelid <> 0 THEN pg_catalog.pg_relation_size(c.reltoastrelid) ELSE 0 END AS toast_bytes
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relispartition AND c.relkind IN ('r', 'p') AND pg_catalog.pg_partition_root(c.oid) = ANY ($1::oid[])
      ORDER BY n.nspname, c.relname`,
    [rootOids],
  );
  const columns = await client.query<{
    oid: number;
    name: string;
    type: string;
    base_type: string;
    category: string;
    element_type: string | null;
    element_category: string | null;
    max_length: number | null;
    not_null: boolean;
    generated: boolean;
    identity_always: boolean;
    is_unique: boolean;
    is_pk: boolean;
  }>(
    `SELECT a.attrelid::int AS oid, a.attname AS name,
            pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            b.typname AS base_type, b.typcategory::text AS category,
            eb.typname AS element_type, eb.typcategory::text AS element_category,
            CASE WHEN b.typname IN ('varchar', 'bpchar')
                  AND (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) > 4
                 THEN (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) - 4 END AS max_length,
            (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS not_null,
            a.attgenerated <> '' AS generated,
            a.attidentity = 'a' AS identity_always,
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                     WHERE i.indrelid = a.attrelid AND i.indisunique
                       AND (a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                            -- expression indexes (unique on lower(email)) record their columns in pg_depend
                            OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
                                          AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum))) AS is_unique,
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                     WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS is_pk
       FROM pg_catalog.pg_attribute a
       ${COLUMN_TYPE_JOINS}
      WHERE a.attrelid = ANY ($1::int[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [rootOids],
  );
  const references = await client.query<{ referenced: number; referencing_schema: string; referencing_name: string }>(
    `SELECT DISTINCT COALESCE(pg_catalog.pg_partition_root(k.confrelid), k.confrelid)::int AS referenced,
            n.nspname AS referencing_schema, c.relname AS referencing_name
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)
                              <> COALESCE(pg_catalog.pg_partition_root(k.confrelid), k.confrelid)`,
  );
  // A partition's clone of its root's trigger (tgparentid) is the root's trigger again: left out.
  const triggers = await client.query<{
    oid: number;
    name: string;
    type: number;
    enabled: string;
    conditional: boolean;
    args: Buffer | null;
    update_columns: string[];
    function_schema: string;
    function_name: string;
    language: string;
    source: string | null;
  }>(
    `SELECT t.tgrelid::int AS oid, t.tgname AS name, t.tgtype::int AS type, t.tgenabled::text AS enabled,
            t.tgqual IS NOT NULL AS conditional, t.tgargs AS args,
            ARRAY(SELECT a.attname::text FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k(attnum, o)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.o) AS update_columns,
            fn.nspname AS function_schema, p.proname AS function_name, l.lanname AS language, p.prosrc AS source
       FROM pg_catalog.pg_trigger t
       JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
       JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
       JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      WHERE t.tgrelid = ANY ($1::int[]) AND NOT t.tgisinternal AND t.tgparentid = 0
      ORDER BY t.tgrelid, t.tgname`,
    [[...rootOids, ...partitions.rows.map((row) => row.oid)]],
  );
  // Only the masking engine's cost model reads these (pg_stats shows the owner its own tables).
  const statistics = await client.query<{ oid: number; name: string; n_distinct: number }>(
    `SELECT c.oid::int AS oid, s.attname AS name, s.n_distinct::float8 AS n_distinct
       FROM pg_catalog.pg_stats s
       JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
      WHERE c.oid = ANY ($1::int[]) AND NOT s.inherited`,
    [rootOids],
  );
  const distinct = new Map(statistics.rows.map((row) => [`${row.oid}\u0000${row.name}`, row.n_distinct]));

  const byOid = new Map<number, TableInfo>();
  const viewOids = new Set(tables.rows.filter((row) => row.relkind === 'm').map((row) => row.oid));
  for (const row of tables.rows) {
    byOid.set(row.oid, {
      name: { schema: row.schema, table: row.name },
      partitioned: row.relkind === 'p',
      estimatedRows: Math.max(0, Math.round(row.reltuples)),
      heapBytes: Number(row.heap_bytes),
      toastBytes: Number(row.toast_bytes),
      indexCount: row.index_count,
      columns: [],
      referencedBy: [],
      partitions: [],
      triggers: [],
    });
  }
  const rootOf = new Map<string, TableName>();
  const relations = new Map<number, TableName>([...byOid].map(([oid, table]) => [oid, table.name]));
  for (const row of partitions.rows) {
    const root = byOid.get(row.root);
    if (!root) continue;
    const name = { schema: row.schema, table: row.name };
    relations.set(row.oid, name);
    root.partitions.push(name);
    rootOf.set(tableKey(name), root.name);
    // A partitioned table holds no rows itself: its size is its partitions'.
    root.estimatedRows += Math.max(0, Math.round(row.reltuples));
    root.heapBytes += Number(row.heap_bytes);
    root.toastBytes += Number(row.toast_bytes);
  }
  for (const row of columns.rows) {
    const table = byOid.get(row.oid);
    const nDistinct = distinct.get(`${row.oid}\u0000${row.name}`);
    // n_distinct < 0 is a fraction of the rows; > 0 an absolute count.
    const estimatedDistinct =
      nDistinct === undefined || nDistinct === null || table === undefined
        ? undefined
        : nDistinct < 0
          ? Math.round(-nDistinct * table.estimatedRows)
          : nDistinct;
    table?.columns.push({
      name: row.name,
      type: row.type,
      baseType: row.base_type,
      category: row.category,
      ...(row.element_type && row.element_category ? { element: { baseType: row.element_type, category: row.element_category } } : {}),
      maxLength: row.max_length,
      notNull: row.not_null,
      generated: row.generated,
      identityAlways: row.identity_always,
      unique: row.is_unique,
      primaryKey: row.is_pk,
      ...(estimatedDistinct === undefined ? {} : { estimatedDistinct }),
    });
  }
  for (const row of references.rows) {
    byOid.get(row.referenced)?.referencedBy.push({ schema: row.referencing_schema, table: row.referencing_name });
  }
  for (const row of triggers.rows) {
    const on = relations.get(row.oid);
    const owner = on && (byOid.get(row.oid) ?? find(byOid, rootOf.get(tableKey(on))));
    if (!on || !owner) continue;
    owner.triggers.push({
      name: row.name,
      on,
      ...triggerType(row.type),
      updateColumns: row.update_columns,
      conditional: row.conditional,
      enabled: row.enabled !== 'D',
      function: { schema: row.function_schema, name: row.function_name, language: row.language, source: row.source ?? '' },
      args: triggerArgs(row.args),
    });
  }
  const list = [...byOid.entries()].filter(([oid]) => !viewOids.has(oid)).map(([, table]) => table);
  const views = [...byOid.entries()].filter(([oid]) => viewOids.has(oid)).map(([, table]) => table);
  const index = new Map(list.map((table) => [tableKey(table.name), table]));
  return { tables: list, views, find: (name) => index.get(tableKey(name)), partitionRoot: (name) => rootOf.get(tableKey(name)) };
}

function find(tables: Map<number, TableInfo>, name: TableName | undefined): TableInfo | undefined {
  if (!name) return undefined;
  for (const table of tables.values()) if (tableKey(table.name) === tableKey(name)) return table;
  return undefined;
}

// pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h).
const ROW = 1;
const BEFORE = 2;
const INSERT = 4;
const DELETE = 8;
const UPDATE = 16;
const TRUNCATE = 32;
const INSTEAD = 64;

function triggerType(type: number): Pick<TriggerInfo, 'timing' | 'forEachRow' | 'events'> {
  const events: TriggerInfo['events'] = [];
  if (type & INSERT) events.push('insert');
  if (type & UPDATE) events.push('update');
  if (type & DELETE) events.push('delete');
  if (type & TRUNCATE) events.push('truncate');
  return { timing: type & INSTEAD ? 'instead' : type & BEFORE ? 'before' : 'after', forEachRow: (type & ROW) !== 0, events };
}

/** pg_trigger.tgargs: each argument followed by a NUL byte. */
function triggerArgs(raw: Buffer | null): string[] {
  if (!raw || raw.length === 0) return [];
  const text = raw.toString('utf8');
  return (text.endsWith('\u0000') ? text.slice(0, -1) : text).split('\u0000');
}

export function tableKey(name: TableName): string {
  return `${name.schema}\u0000${name.table}`;
}

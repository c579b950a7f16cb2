// The synthetic data filler: fills any schema with rows, from the catalog alone. Tables are
// filled parents first (foreign keys, composite and self-referencing ones included, pick real
// parent rows), partitioned tables get rows in every partition, enums and domains get values
// of their own, and a row that a check constraint refuses is retried with values taken from
// the constraint (its literals, its numbers, NULL). Columns the truth file names get personal
// values (personal.ts), whose tokens are recorded so that every leak can be counted.
import pg from 'pg';
import { PersonalData, personalKind, type PersonalKind } from './personal.js';
import type { Truth } from './truth.js';

interface Column {
  name: string;
  /** format_type(): what a value is cast to. */
  type: string;
  /** The base type once domains are resolved, and its category. */
  base: string;
  category: string;
  /** Element base type of an array, else null. */
  element: string | null;
  elementCategory: string | null;
  typtype: string;
  enumLabels: string[] | null;
  elementEnumLabels: string[] | null;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  identityAlways: boolean;
}

interface ForeignKey {
  name: string;
  columns: string[];
  target: string;
  targetColumns: string[];
}

interface PartitionChoice {
  /** Column → literal that routes a row to one leaf partition. */
  values: Record<string, string>;
}

interface Table {
  oid: number;
  qualified: string;
  display: string;
  partitioned: boolean;
  columns: Column[];
  foreignKeys: ForeignKey[];
  /** One entry per leaf partition that needs particular key values (range and list partitions). */
  partitions: PartitionChoice[];
  checks: Map<string, { columns: string[]; definition: string }>;
}

export interface TableFill {
  table: string;
  /** Rows the table holds once filled (triggers of other tables may have added some). */
  rows: number;
  inserted: number;
  failed: number;
  /** The last reason a row was given up, when some were. */
  lastError?: string;
}

export interface FillResult {
  tables: TableFill[];
  personal: PersonalData;
  /** Personal columns whose values are compared row by row (dates, numbers, bytea): table → columns. */
  rowCompared: Map<string, string[]>;
}

type Row = Map<string, string | null>;

const MAX_ATTEMPTS = 12;

export async function fillDatabase(url: string, truth: Truth, rowsPerTable: number, seed = 1): Promise<FillResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path = public`);
    const tables = await loadTables(client);
    const personal = new PersonalData(seed);
    const inserted = new Map<string, Row[]>();
    const rowCompared = new Map<string, string[]>();
    const results: TableFill[] = [];
    for (const table of order(tables)) {
      const personalColumns = truth.columnsOf(table.display);
      const compared = table.columns.filter((c) => personalColumns.has(c.name) && rowComparedType(c)).map((c) => c.name);
      if (compared.length) rowCompared.set(table.display, compared);
      results.push(await fillTable(client, table, { rows: rowsPerTable, truth, personal, personalColumns, inserted }));
    }
    // Production's materialized views reflect its rows (creation order respects their dependencies).
    const views = await client.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid`,
    );
    for (const view of views.rows) await client.query(`REFRESH MATERIALIZED VIEW ${view.name}`);
    await client.query('ANALYZE');
    return { tables: results, personal, rowCompared };
  } finally {
    await client.end();
  }
}

/** Types whose personal values are checked row by row rather than by token. */
function rowComparedType(column: Column): boolean {
  return ['D', 'N', 'B'].includes(column.category) || column.base === 'bytea';
}

async function loadTables(client: pg.Client): Promise<Table[]> {
  const relations = await client.query<{ oid: number; qualified: string; display: string; partitioned: boolean }>(
    `SELECT c.oid::int AS oid, c.oid::regclass::text AS qualified,
            pg_catalog.format('%s.%s', n.nspname, c.relname) AS display, c.relkind = 'p' AS partitioned
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 3`,
  );
  const oids = relations.rows.map((row) => row.oid);
  const columns = await client.query<Column & { oid: number }>(
    `SELECT a.attrelid::int AS oid, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            b.typname AS base, b.typcategory::text AS category, t.typtype::text AS typtype,
            e.typname AS element, e.typcategory::text AS "elementCategory",
            (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = b.oid)::text[] AS "enumLabels",
            (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = e.oid)::text[] AS "elementEnumLabels",
            CASE WHEN b.typname IN ('varchar', 'bpchar')
                  AND (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) > 4
                 THEN (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) - 4 END AS "maxLength",
            CASE WHEN b.typname = 'numeric' AND (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) > 4
                 THEN (((CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) - 4) >> 16) & 65535 END AS precision,
            CASE WHEN b.typname = 'numeric' AND (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) > 4
                 THEN ((CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) - 4) & 65535 END AS scale,
            (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS "notNull",
            a.atthasdef AS "hasDefault", a.attgenerated <> '' AS generated, a.attidentity = 'a' AS "identityAlways"
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
       LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
      WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  // A foreign key declared on each partition applies to the rows routed there, so the root fills
  // for it; one on (or to) a partitioned table also appears on every partition: kept once.
  const keys = await client.query<{ oid: number; name: string; columns: string[]; target: string; target_columns: string[] }>(
    `SELECT DISTINCT ON (1, 3, 4, 5) COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)::int AS oid, k.conname AS name,
            ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o)::text[] AS columns,
            pg_catalog.format('%s.%s', n.nspname, c.relname) AS target,
            ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)::text[] AS target_columns
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = COALESCE(pg_catalog.pg_partition_root(k.confrelid), k.confrelid)
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid) = ANY ($1::oid[])
      ORDER BY 1, 3, 4, 5, k.conparentid`,
    [oids],
  );
  const checks = await client.query<{ oid: number; name: string; columns: string[] | null; definition: string }>(
    `SELECT COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)::int AS oid, k.conname AS name,
            ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey))::text[] AS columns,
            pg_catalog.pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k
      WHERE k.contype = 'c' AND COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid) = ANY ($1::oid[])`,
    [oids],
  );
  // Leaf partitions and, for each, the bound of every level between it and the root.
  const bounds = await client.query<{ root: number; leaf: number; key: string | null; bound: string }>(
    `SELECT r.oid::int AS root, l.relid::int AS leaf,
            pg_catalog.pg_get_partkeydef(i.inhparent) AS key, pg_catalog.pg_get_expr(p.relpartbound, p.oid) AS bound
       FROM pg_class r
       CROSS JOIN LATERAL pg_partition_tree(r.oid) l
       CROSS JOIN LATERAL pg_partition_ancestors(l.relid) a(relid)
       JOIN pg_class p ON p.oid = a.relid AND p.relispartition
       JOIN pg_inherits i ON i.inhrelid = p.oid
      WHERE r.relkind = 'p' AND NOT r.relispartition AND l.isleaf AND r.oid = ANY ($1::oid[])`,
    [oids],
  );
  const byOid = new Map<number, Table>();
  for (const row of relations.rows) {
    byOid.set(row.oid, { ...row, columns: [], foreignKeys: [], partitions: [], checks: new Map() });
  }
  for (const { oid, ...column } of columns.rows) byOid.get(oid)?.columns.push(column);
  for (const row of keys.rows) {
    byOid.get(row.oid)?.foreignKeys.push({ name: row.name, columns: row.columns, target: row.target, targetColumns: row.target_columns });
  }
  for (const row of checks.rows) byOid.get(row.oid)?.checks.set(row.name, { columns: row.columns ?? [], definition: row.definition });
  const leaves = new Map<string, PartitionChoice>();
  for (const row of bounds.rows) {
    const table = byOid.get(row.root);
    if (!table) continue;
    const id = `${row.root}/${row.leaf}`;
    let choice = leaves.get(id);
    if (!choice) {
      choice = { values: {} };
      leaves.set(id, choice);
      table.partitions.push(choice);
    }
    Object.assign(choice.values, boundValues(row.key, row.bound));
  }
  return [...byOid.values()];
}

/** `RANGE (payment_date)` + `FOR VALUES FROM ('2022-01-01') TO (…)` → { payment_date: '2022-01-01' }. */
function boundValues(key: string | null, bound: string): Record<string, string> {
  const column = /^(?:RANGE|LIST) \(([^,()]+)\)$/.exec(key ?? '')?.[1]?.replaceAll('"', '');
  if (!column) return {};
  const literal = /FOR VALUES (?:FROM \(|IN \()'?((?:[^',)]|'')*)'?/.exec(bound)?.[1];
  if (literal === undefined || literal === 'MINVALUE' || literal === 'NULL') return {};
  return { [column]: literal.replaceAll("''", "'") };
}

/** Parents before children; a cycle is broken where a foreign key can be left empty and filled afterwards. */
function order(tables: Table[]): Table[] {
  const byName = new Map(tables.map((table) => [table.display, table]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const sorted: Table[] = [];
  const visit = (table: Table) => {
    if (done.has(table.display) || visiting.has(table.display)) return;
    visiting.add(table.display);
    for (const key of table.foreignKeys) {
      const target = byName.get(key.target);
      if (target && target !== table) visit(target);
    }
    visiting.delete(table.display);
    done.add(table.display);
    sorted.push(table);
  };
  for (const table of tables) visit(table);
  return sorted;
}

interface FillContext {
  rows: number;
  truth: Truth;
  personal: PersonalData;
  personalColumns: Set<string>;
  inserted: Map<string, Row[]>;
}

async function fillTable(client: pg.Client, table: Table, ctx: FillContext): Promise<TableFill> {
  const result: TableFill = { table: table.display, rows: 0, inserted: 0, failed: 0 };
  const stored: Row[] = [];
  ctx.inserted.set(table.display, stored);
  const writable = table.columns.filter((column) => !column.generated && !column.identityAlways);
  const keyColumns = new Set(table.foreignKeys.flatMap((key) => key.columns));
  // Columns with a default are left to it (a serial id, a status), unless they hold personal data or a key.
  const provided = writable.filter((column) => !column.hasDefault || ctx.personalColumns.has(column.name) || keyColumns.has(column.name));
  const omitted = writable.filter((column) => !provided.includes(column));
  for (let i = 0; i < ctx.rows; i++) {
    const row: Row = new Map();
    const kinds = new Map<string, PersonalKind>();
    for (const column of provided) {
      if (ctx.personalColumns.has(column.name)) {
        const [value, kind] = personalValue(column, ctx.personal, ctx.truth.kindOf(table.display, column.name));
        row.set(column.name, value);
        if (kind) kinds.set(column.name, kind);
      } else row.set(column.name, plainValue(column, i, table.display));
    }
    const partition = table.partitions.length ? table.partitions[i % table.partitions.length] : undefined;
    for (const [column, value] of Object.entries(partition?.values ?? {})) row.set(column, value);
    table.foreignKeys.forEach((key, index) => chooseParent(row, key, table, ctx, stored, i + index * 3));
    const outcome = await insertRow(client, table, row, omitted, ctx, stored);
    if (outcome.ok) {
      result.inserted++;
      for (const column of ctx.personalColumns) {
        const value = outcome.row.get(column);
        if (value !== null && value !== undefined) ctx.personal.record(value, { table: table.display, column }, kinds.get(column));
      }
      stored.push(outcome.row);
    } else {
      result.failed++;
      result.lastError = outcome.error;
    }
  }
  // Triggers of tables filled earlier may have written rows here too: every row can be a parent.
  const existing = await client.query<Record<string, string | null>>(
    `SELECT ${returning(table.columns)} FROM ${table.qualified} LIMIT ${Math.max(ctx.rows * 4, 100)}`,
  );
  stored.splice(0, stored.length, ...existing.rows.map((row) => new Map(Object.entries(row))));
  result.rows = stored.length;
  return result;
}

function chooseParent(row: Row, key: ForeignKey, table: Table, ctx: FillContext, own: Row[], i: number, attempt = 0): void {
  const parents = key.target === table.display ? own : (ctx.inserted.get(key.target) ?? []);
  const usable = parents.filter((parent) => key.targetColumns.every((column) => parent.get(column) != null));
  const nullable = key.columns.every((column) => !table.columns.find((c) => c.name === column)?.notNull);
  if (usable.length === 0 || (nullable && key.target === table.display && i % 4 === 0)) {
    // No parent yet (the first row of a self-reference, or a parent table that stayed empty).
    for (const column of key.columns) row.set(column, null);
    return;
  }
  const parent = usable[(i * 7 + attempt * 13) % usable.length];
  key.columns.forEach((column, index) => row.set(column, parent?.get(key.targetColumns[index] ?? '') ?? null));
}

function personalValue(column: Column, personal: PersonalData, stated?: PersonalKind): [string | null, PersonalKind | undefined] {
  const kind = stated ?? personalKind(column.name);
  if (column.base === 'bytea') return [personal.picture(), undefined];
  if (column.base === 'json' || column.base === 'jsonb') return [personal.json(), undefined];
  if (column.base === 'inet' || column.base === 'cidr') return [personal.text('ip'), 'ip'];
  if (column.base === 'uuid') return [uuidOf(`personal-${personal.text('secret')}`), undefined];
  if (column.category === 'D') return [personal.text('birth_date'), 'birth_date'];
  if (column.category === 'N') return [personalNumber(column, personal), undefined];
  if (column.category === 'B') return [String(personal.text('gender') === 'F'), 'gender'];
  if (column.enumLabels) return [column.enumLabels[0] ?? null, 'gender'];
  if (column.category === 'A') {
    if (column.elementCategory === 'S') return [pgArray([personal.text(kind === 'free_text' ? 'email' : kind)]), kind];
    return [null, undefined];
  }
  if (column.base === 'xml') return [`<person><name>${personal.text('full_name')}</name></person>`, 'full_name'];
  if (column.base === 'tsvector') return [personal.text('full_name').toLowerCase(), 'full_name'];
  return [clip(personal.text(kind), column), kind];
}

/** A number (a pay rate, a coordinate) that fits the column's precision: numeric(9,6) holds less than 1000. */
function personalNumber(column: Column, personal: PersonalData): string {
  const digits = personal.text('zip').replace(/\D/g, '');
  const value = 90000 + Number(digits.slice(1, 5));
  if (column.precision === null || column.scale === null) return String(value);
  const whole = column.precision - column.scale;
  if (whole >= 5) return String(value);
  const fraction = column.scale > 0 ? `.${digits.slice(-Math.min(column.scale, 4))}` : '';
  return `${Number(digits.slice(0, Math.max(0, whole - 1)) || '0') + 1}${fraction}`;
}

function clip(text: string, column: Column): string {
  return column.maxLength === null ? text : text.slice(0, column.maxLength);
}

function pgArray(values: string[]): string {
  return `{${values.map((value) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** A stable uuid (version 4 layout) from a string. */
function uuidOf(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let hex = '';
  for (let round = 0; hex.length < 32; round++) {
    for (const char of `${text}#${round}`) {
      h1 = Math.imul(h1 ^ char.charCodeAt(0), 16777619) >>> 0;
      h2 = Math.imul(h2 + char.charCodeAt(0), 2246822519) >>> 0;
    }
    hex += ((h1 ^ h2) >>> 0).toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A value that identifies nobody: the column name and the row number, a small count, a date. */
function plainValue(column: Column, i: number, table: string): string | null {
  if (column.enumLabels) return column.enumLabels[i % column.enumLabels.length] ?? null;
  if (column.category === 'A') {
    if (column.elementEnumLabels) return `{${column.elementEnumLabels[0]}}`;
    const element = scalar(column.element ?? 'text', column.elementCategory ?? 'S', i, column.name, null, null, null, table);
    return element === null ? '{}' : pgArray([element]);
  }
  return scalar(column.base, column.category, i, column.name, column.maxLength, column.precision, column.scale, table);
}

function scalar(
  base: string,
  category: string,
  i: number,
  name: string,
  maxLength: number | null,
  precision: number | null,
  scale: number | null,
  table: string,
): string | null {
  switch (base) {
    case 'bool':
      return i % 2 === 0 ? 'true' : 'false';
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return String(i + 1);
    case 'numeric': {
      const limit = precision !== null && scale !== null ? 10 ** (precision - scale) - 1 : 1_000_000;
      return String(((i % Math.max(1, limit)) + 1) % (limit + 1));
    }
    case 'float4':
    case 'float8':
    case 'money':
      return `${i + 1}.5`;
    case 'uuid':
      return uuidOf(`${table}.${name}.${i}`);
    case 'date':
      return new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
    case 'timestamp':
    case 'timestamptz':
      return new Date(Date.UTC(2024, 0, 1, i % 24, i)).toISOString();
    case 'time':
    case 'timetz':
      return '12:00:00';
    case 'interval':
      return `${i + 1} days`;
    case 'json':
    case 'jsonb':
      return JSON.stringify({ n: i + 1, kind: name });
    case 'bytea':
      return `\\x${(i + 1).toString(16).padStart(2, '0')}`;
    case 'inet':
    case 'cidr':
      return `192.0.2.${(i % 250) + 1}`;
    case 'macaddr':
      return `08:00:2b:00:00:${(i % 250).toString(16).padStart(2, '0')}`;
    case 'xml':
      return `<item n="${i + 1}"/>`;
    case 'tsvector':
      return `${name.replace(/[^a-z]/gi, '')} item`;
    case 'tsquery':
      return 'item';
    case 'point':
      return `(${i},${i})`;
    case 'bit':
    case 'varbit':
      return '1';
    case 'int4range':
    case 'int8range':
      return `[${i},${i + 10})`;
    case 'tstzrange':
    case 'tsrange':
      return `[2024-01-01,2024-02-01)`;
    case 'daterange':
      return `[2024-01-01,2024-02-01)`;
    default:
      break;
  }
  if (category === 'S') {
    const text = `${name.replaceAll('_', ' ')} ${i + 1}`;
    return maxLength === null ? text : text.length <= maxLength ? text : String(i + 1).slice(-maxLength);
  }
  return null;
}

type Outcome = { ok: true; row: Row } | { ok: false; error: string };

interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
  dataType?: string;
  message: string;
}

function asPgError(error: unknown): PgError {
  return typeof error === 'object' && error !== null && 'message' in error ? (error as PgError) : { message: String(error) };
}

async function insertRow(client: pg.Client, table: Table, row: Row, omitted: Column[], ctx: FillContext, own: Row[]): Promise<Outcome> {
  let lastError = '';
  const wanted = table.columns.filter((column) => !column.generated);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const names = [...row.keys()];
    const columns = names.map((name) => table.columns.find((column) => column.name === name)).filter((c): c is Column => c !== undefined);
    const sql =
      columns.length === 0
        ? `INSERT INTO ${table.qualified} DEFAULT VALUES RETURNING ${returning(wanted)}`
        : `INSERT INTO ${table.qualified} (${columns.map((c) => ident(c.name)).join(', ')}) VALUES (${columns
            .map((c, index) => `$${index + 1}::${c.type}`)
            .join(', ')}) RETURNING ${returning(wanted)}`;
    try {
      const result = await client.query<Record<string, string | null>>(
        sql,
        names.map((name) => row.get(name) ?? null),
      );
      const returned = result.rows[0] ?? {};
      return { ok: true, row: new Map(Object.entries(returned)) };
    } catch (error) {
      const failure = asPgError(error);
      lastError = failure.message;
      if (!repair(failure, table, row, omitted, ctx, own, attempt)) break;
    }
  }
  return { ok: false, error: lastError };
}

let slugs = 0;

/** Values a check constraint may accept, of the column's own type: its literals and numbers first. */
function candidatesFor(column: Column, literals: string[], numbers: string[], personal: boolean): Array<string | null> {
  if (column.enumLabels) return [...literals.filter((l) => column.enumLabels?.includes(l)), ...column.enumLabels, null];
  switch (column.category) {
    case 'S':
      // A plain lower-case slug satisfies most format checks (`^[a-z0-9_]{1,100}$`), and is new each time.
      return [...literals, null, `slug${++slugs}x`, ''];
    case 'N': {
      // Inside a range first (`BETWEEN 6.50 AND 200`), varied per row, so no value is a bound a mask might pick.
      const bounds = numbers.map(Number).sort((a, b) => a - b);
      const integer = ['int2', 'int4', 'int8'].includes(column.base);
      const inside = bounds.slice(1).map((high, index) => {
        const middle = ((bounds[index] ?? high) + high) / 2 + (++slugs % 50) / 100;
        return String(integer ? Math.round(middle) : middle);
      });
      // A personal number is never a bound: a constant mask taken from the same check could equal it.
      return personal && inside.length ? inside : [...inside, ...numbers, null, '0', '1', '2', '100', '-1'];
    }
    case 'B':
      return ['true', 'false', null];
    case 'D':
      return [...literals.filter((l) => !Number.isNaN(Date.parse(l))), null, '2099-12-31', '2000-01-01'];
    case 'A':
      return [...literals.filter((l) => l.startsWith('{')), '{}', null];
    default:
      return [...literals, null];
  }
}

function returning(columns: Column[]): string {
  return columns.map((column) => `${ident(column.name)}::text AS ${ident(column.name)}`).join(', ') || '1';
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Changes the row so that the failure may not recur; false when nothing more can be tried. */
function repair(failure: PgError, table: Table, row: Row, omitted: Column[], ctx: FillContext, own: Row[], attempt: number): boolean {
  const column = (name: string | undefined) => table.columns.find((candidate) => candidate.name === name);
  const setSomething = (name: string, candidates: Array<string | null>): boolean => {
    const target = column(name);
    if (!target) return false;
    const options = candidates.filter((value) => value !== null || !target.notNull);
    const value = options[attempt % Math.max(1, options.length)];
    if (value === undefined) return false;
    row.set(name, value);
    return true;
  };
  switch (failure.code) {
    case '23502': {
      // NOT NULL: a column left to its default (or a trigger) came out empty.
      const target = column(failure.column);
      if (!target) return false;
      row.set(target.name, plainValue(target, attempt + 1, table.display));
      return true;
    }
    case '23503': {
      const key = table.foreignKeys.find((candidate) => candidate.name === failure.constraint);
      if (!key) return false;
      chooseParent(row, key, table, ctx, own, attempt, attempt + 1);
      return true;
    }
    case '23505': {
      // A value repeated: other parents (a one-to-one key), and every other text or number shifted.
      for (const key of table.foreignKeys) chooseParent(row, key, table, ctx, own, attempt, attempt + 1);
      for (const [name, value] of row) {
        const target = column(name);
        if (!target || value === null || table.foreignKeys.some((key) => key.columns.includes(name))) continue;
        if (target.category === 'S' && !target.enumLabels) row.set(name, `${value}${attempt + 2}`.slice(-(target.maxLength ?? 10_000)));
        if (target.category === 'N') row.set(name, String(Number(value) + 1000 * (attempt + 1)));
        if (target.base === 'uuid') row.set(name, uuidOf(`${value}${attempt}`));
      }
      return true;
    }
    case '23514':
    case '22001':
    case '22003':
    case '22P02':
    case '22007':
    case '22008': {
      const check = failure.constraint ? table.checks.get(failure.constraint) : undefined;
      const source = check?.definition ?? failure.message;
      const literals = [...source.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'"));
      const numbers = [...source.matchAll(/(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])/g)].map((m) => m[0]);
      let targets = check?.columns ?? (failure.column ? [failure.column] : []);
      if (targets.length === 0 && failure.dataType) {
        // A domain's check: the columns of that domain.
        targets = table.columns.filter((c) => c.type.replaceAll('"', '').endsWith(failure.dataType ?? '')).map((c) => c.name);
      }
      const nullable = targets.filter((name) => column(name)?.notNull === false);
      if (check && nullable.length >= 2) {
        // "Exactly one parent" and the like: keep one of the nullable columns, empty the others.
        const keep = nullable[attempt % nullable.length];
        for (const name of nullable) {
          if (name !== keep) row.set(name, null);
          else if (row.get(name) == null) {
            const target = column(name);
            const key = table.foreignKeys.find((k) => k.columns.includes(name));
            if (key) chooseParent(row, key, table, ctx, own, attempt, attempt);
            else if (target) row.set(name, plainValue(target, attempt, table.display));
          }
        }
        return attempt < nullable.length * 2;
      }
      targets = targets.filter((name) => !table.foreignKeys.some((key) => key.columns.includes(name)));
      if (targets.length === 0) return false;
      let changed = false;
      for (const name of targets) {
        const target = column(name);
        if (target) changed = setSomething(name, candidatesFor(target, literals, numbers, ctx.personalColumns.has(name))) || changed;
      }
      return changed;
    }
    default:
      return false;
  }
}

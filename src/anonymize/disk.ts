// How much extra disk masking a table takes at its peak, and the method whose peak fits the disk
// the fork has left (docs/disk.md). Until a transaction commits, PostgreSQL keeps every file it
// replaced or emptied: a rewrite holds the original table, the stage and the reloaded table with its
// rebuilt indexes at once; an in-place UPDATE writes a second version of every row and a second
// entry in every index. When that does not fit, the table is masked in stripes (the rows whose key
// hashes to stripe r of R), one committed transaction each, with a VACUUM after each one: a stripe
// holds a few rows of every page, so its new row versions and index entries land beside the old
// ones, in the space the previous stripe's old versions held. The peak is about one stripe.
import type pg from 'pg';
import { loadCatalog, type ColumnInfo, type TableInfo } from './catalog.js';
import { chooseMethod, type Method } from './rewrite.js';
import { compilePlan, type TableStep } from './plan.js';
import type { AnonymizeRules } from './rules.js';
import { displayTable } from './quote.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

export interface TableSizes {
  /** Main heap (every partition's, for a partitioned table). */
  heap: number;
  /** Out-of-line values (TOAST) and their index. */
  toast: number;
  /** Every index of the table. */
  indexes: number;
}

/** What a table's masking costs in disk: its method, the extra bytes at the peak, and how long it takes, roughly. */
export type DiskChoice = {
  /** Extra bytes on disk at the peak, on top of what the database held before the table. */
  peakBytes: number;
  /** fast: rows written once, indexes built in sorted passes; medium: an UPDATE in place; slow: in stripes with VACUUM between. */
  timeClass: 'fast' | 'medium' | 'slow';
  reason: string;
} & (
  | { method: Method }
  /** How many stripes, and the key columns whose hash picks a row's stripe. */
  | { method: 'batched'; batch: { stripes: number; key: ColumnInfo[] } }
);

/** Sizes of every user table, partitioned tables summed over their partitions, by display name. */
export async function loadTableSizes(client: pg.Client): Promise<Map<string, TableSizes>> {
  const result = await client.query<{ schema: string; name: string; heap: string; toast: string; indexes: string }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            sum(pg_catalog.pg_relation_size(t.relid))::text AS heap,
            sum(pg_catalog.pg_table_size(t.relid) - pg_catalog.pg_relation_size(t.relid))::text AS toast,
            sum(pg_catalog.pg_indexes_size(t.relid))::text AS indexes
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL (SELECT c.oid AS relid WHERE c.relkind <> 'p'
                           UNION ALL SELECT p.relid FROM pg_catalog.pg_partition_tree(c.oid) p WHERE c.relkind = 'p' AND p.isleaf) t
      WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'refork') AND n.nspname NOT LIKE 'pg\\_%'
      GROUP BY n.nspname, c.relname`,
  );
  return new Map(
    result.rows.map((row) => [
      displayTable({ schema: row.schema, table: row.name }),
      { heap: Number(row.heap), toast: Number(row.toast), indexes: Number(row.indexes) },
    ]),
  );
}

/** The share of a table's out-of-line bytes an UPDATE writes again: those of the masked columns, roughly. */
function maskedToast(step: UpdateStep, table: TableInfo, sizes: TableSizes): number {
  return sizes.toast * Math.min(1, step.columns.length / Math.max(1, table.columns.length));
}

/**
 * Peak extra bytes of the engine's normal path for this table. A rewrite: the stage and the reloaded
 * table (heap and out-of-line values each) and its rebuilt indexes, while the emptied original stays
 * until commit. An UPDATE (indexes kept or rebuilt): a new version of every row and a new entry in
 * (or a new copy of) every index.
 */
export function normalPeak(method: Method, step: UpdateStep, table: TableInfo, sizes: TableSizes): number {
  if (method === 'rewrite') return 2 * (sizes.heap + sizes.toast) + sizes.indexes;
  return sizes.heap + maskedToast(step, table, sizes) + sizes.indexes;
}

/** A stripe's share of the room kept free for what the estimate misses (masked values longer than the originals, the free space map's rounding). */
const STRIPE_HEADROOM = 0.5;
/**
 * At least this many stripes: a stripe then touches at most 1/16 of each index page, less than the
 * 10 % a freshly built B-tree page keeps free, so its new index entries fit beside the old ones
 * without splitting pages (which would leave every index half empty and twice as big).
 */
export const MIN_STRIPES = 16;
/** Beyond this, each stripe's pass over the table costs more than the disk it saves. */
export const MAX_STRIPES = 1024;

/**
 * The columns a table can be masked over in stripes: its primary key, when no rule masks any of it
 * (the key's values stay put, so a row's stripe never changes and a resumed run knows which rows
 * are done).
 */
export function stripeKey(step: UpdateStep, table: TableInfo): ColumnInfo[] | undefined {
  if (table.partitioned) return undefined;
  const keys = table.columns.filter((column) => column.primaryKey);
  if (keys.length === 0 || keys.some((key) => step.columns.some((masked) => masked.column === key.name))) return undefined;
  return keys;
}

/**
 * The method for a table given the bytes the disk can still take (undefined: no limit): the normal
 * path when its peak fits, an UPDATE in place when that fits, else stripes small enough that each
 * one's new row versions take at most half the room. Throws when none fits, naming the fix.
 */
export function chooseWithinBudget(step: UpdateStep, table: TableInfo, sizes: TableSizes, available?: number): DiskChoice {
  const normal = chooseMethod(table, step);
  const peak = normalPeak(normal.method, step, table, sizes);
  const timeClass = normal.method === 'rewrite' ? 'fast' : 'medium';
  if (available === undefined || peak <= available) return { method: normal.method, peakBytes: peak, timeClass, reason: normal.reason };
  const room = Math.max(0, Math.floor(available));
  // A rewrite that does not fit may still fit as an UPDATE in place, which holds no second copy of the rows.
  const inPlace = normalPeak('update', step, table, sizes);
  if (normal.method === 'rewrite' && inPlace <= room)
    return {
      method: 'update',
      peakBytes: inPlace,
      timeClass: 'medium',
      reason: `the rewrite's peak (${peak} bytes) exceeds the ${room} bytes left`,
    };
  const key = stripeKey(step, table);
  if (!key) {
    throw new DiskBudgetError(
      `${step.display} needs about ${peak} bytes of free disk to mask and ${room} are left; masking it in stripes needs a primary key that no rule masks: add one, or choose a larger fork plan`,
    );
  }
  const rows = sizes.heap + maskedToast(step, table, sizes);
  const stripes = Math.max(MIN_STRIPES, Math.ceil(rows / Math.max(1, room * STRIPE_HEADROOM)));
  if (stripes > MAX_STRIPES) {
    throw new DiskBudgetError(
      `${step.display}: the ${room} bytes of free disk left hold less than 1/${MAX_STRIPES} of its rows; choose a larger fork plan or a larger disk.budget_gb`,
    );
  }
  return {
    method: 'batched',
    peakBytes: Math.ceil(rows / stripes),
    timeClass: 'slow',
    reason: `the ${normal.method}'s peak (${peak} bytes) exceeds the ${room} bytes left; ${stripes} stripes by primary key`,
    batch: { stripes, key },
  };
}

export class DiskBudgetError extends Error {
  override name = 'DiskBudgetError';
}

/** Bytes the database holds now. */
export async function databaseBytes(client: pg.Client): Promise<number> {
  const result = await client.query<{ bytes: string }>('SELECT pg_catalog.pg_database_size(pg_catalog.current_database())::text AS bytes');
  return Number(result.rows[0]?.bytes ?? 0);
}

/** Of the fork's storage, kept free for what masking's estimates do not count (WAL, temporary files). */
export const STORAGE_RESERVE = 0.05;

/** The bytes masking may use at its peak: the budget when one is set, else the storage (less its reserve) the data leaves. */
export function maskingRoom(disk: { storageBytes?: number; budgetBytes?: number }, dataBytes: number): number | undefined {
  if (disk.budgetBytes !== undefined) return disk.budgetBytes;
  if (disk.storageBytes !== undefined) return disk.storageBytes * (1 - STORAGE_RESERVE) - dataBytes;
  return undefined;
}

export interface TableOutlook {
  table: string;
  /** On-disk bytes: heap, out-of-line values and indexes. */
  bytes: number;
  method: DiskChoice['method'] | 'truncate';
  /** Extra bytes at this table's peak, over what the database holds when its turn comes. */
  peakBytes: number;
  timeClass: DiskChoice['timeClass'];
  /** Why the table cannot be masked within the room left, when it cannot. */
  problem?: string;
}

export interface DiskOutlook {
  databaseBytes: number;
  largestTableBytes: number;
  /** The most extra disk masking holds at once, over the database's size before it starts. */
  peakBytes: number;
  tables: TableOutlook[];
}

/**
 * What masking the database under these rules will take in disk, table by table in the engine's
 * order, each table's method chosen for the room left (`room`: undefined for no limit). An
 * UPDATE's old row versions stay in the table after it (reused later, never returned), so what
 * the tables masked in place leave behind counts against every table after them.
 */
export async function diskOutlook(client: pg.Client, rules: AnonymizeRules, room?: number): Promise<DiskOutlook> {
  const catalog = await loadCatalog(client);
  // Sizes only: the statements are never run, so no key is needed.
  const { plan } = compilePlan(rules, catalog, { key: 'disk-outlook' });
  const sizes = await loadTableSizes(client);
  const bytesOf = (display: string) => {
    const size = sizes.get(display);
    return size ? size.heap + size.toast + size.indexes : 0;
  };
  const tables: TableOutlook[] = plan.truncates.map((step) => ({
    table: step.display,
    bytes: bytesOf(step.display),
    method: 'truncate',
    peakBytes: 0,
    timeClass: 'fast',
  }));
  let left = 0;
  let peak = 0;
  for (const step of plan.updates) {
    const table = catalog.find(step.table);
    const size = sizes.get(step.display);
    if (!table || !size) continue;
    try {
      const choice = chooseWithinBudget(step, table, size, room === undefined ? undefined : room - left);
      tables.push({
        table: step.display,
        bytes: bytesOf(step.display),
        method: choice.method,
        peakBytes: choice.peakBytes,
        timeClass: choice.timeClass,
      });
      peak = Math.max(peak, left + choice.peakBytes);
      if (choice.method !== 'rewrite') left += choice.peakBytes;
    } catch (error) {
      if (!(error instanceof DiskBudgetError)) throw error;
      const normal = chooseMethod(table, step).method;
      const peakBytes = normalPeak(normal, step, table, size);
      tables.push({
        table: step.display,
        bytes: bytesOf(step.display),
        method: normal,
        peakBytes,
        timeClass: 'medium',
        problem: error.message,
      });
      peak = Math.max(peak, left + peakBytes);
    }
  }
  return {
    databaseBytes: await databaseBytes(client),
    largestTableBytes: Math.max(0, ...[...sizes.keys()].map(bytesOf)),
    peakBytes: peak,
    tables,
  };
}

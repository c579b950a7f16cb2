// A schema's truth file (truth/<schema>.yml): the columns that hold personal data or secrets,
// written by hand from the DDL and the project's documentation before the scan was run on it.
// The scan is measured against it, the filler puts personal values exactly there, and leaks are
// counted from those values. A column a trigger computes from personal columns is written
// `{ column: derived }`: it holds their words but takes no rule of its own (the engine recomputes
// it), so the scan is not scored on it; the leak search still reads it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PERSONAL_KINDS, type PersonalKind } from './personal.js';

const TRUTH_DIR = new URL('./truth/', import.meta.url).pathname;

export interface Truth {
  /** `schema.table` → its personal columns. */
  tables: Map<string, Set<string>>;
  columnsOf(table: string): Set<string>;
  has(table: string, column: string): boolean;
  /** What the filler writes there when the truth file says (`relates_to: email`), else guessed from the name. */
  kindOf(table: string, column: string): PersonalKind | undefined;
  /** `schema.table.column` of the columns computed from personal ones by a trigger. */
  derived: Set<string>;
  size: number;
}

export function truthOf(
  tables: Record<string, string[]>,
  kinds: Map<string, PersonalKind> = new Map(),
  derived: Set<string> = new Set(),
): Truth {
  const map = new Map(Object.entries(tables).map(([table, columns]) => [table, new Set(columns)]));
  return {
    tables: map,
    columnsOf: (table) => map.get(table) ?? new Set(),
    has: (table, column) => map.get(table)?.has(column) ?? false,
    kindOf: (table, column) => kinds.get(`${table}.${column}`),
    derived,
    size: [...map.values()].reduce((sum, columns) => sum + columns.size, 0),
  };
}

export async function loadTruth(schema: string): Promise<Truth> {
  const text = await readFile(join(TRUTH_DIR, `${schema}.yml`), 'utf8');
  const parsed = (parse(text) ?? {}) as Record<string, unknown>;
  const tables: Record<string, string[]> = {};
  const kinds = new Map<string, PersonalKind>();
  const derived = new Set<string>();
  for (const [table, columns] of Object.entries(parsed)) {
    if (!Array.isArray(columns)) throw new Error(`truth/${schema}.yml: ${table} must list column names`);
    tables[table] = columns.flatMap((entry: unknown) => {
      if (typeof entry === 'string') return [entry];
      const [pair, ...more] = typeof entry === 'object' && entry !== null ? Object.entries(entry) : [];
      const [column, kind] = pair ?? [];
      if (column && !more.length && kind === 'derived') {
        derived.add(`${table}.${column}`);
        return [];
      }
      if (!column || more.length || typeof kind !== 'string' || !(PERSONAL_KINDS as readonly string[]).includes(kind)) {
        throw new Error(
          `truth/${schema}.yml: ${table}: write a column name, or { column: kind } with a kind of ${PERSONAL_KINDS.join(', ')}, or derived`,
        );
      }
      kinds.set(`${table}.${column}`, kind as PersonalKind);
      return [column];
    });
  }
  return truthOf(tables, kinds, derived);
}

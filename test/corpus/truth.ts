// A schema's truth file: the columns that hold personal data, written by hand. The scan is
// measured against it, the filler puts personal values exactly there, and leaks are counted
// from those values.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SCHEMAS_DIR } from './manifest.js';

export interface Truth {
  /** `schema.table` → its personal columns. */
  tables: Map<string, Set<string>>;
  columnsOf(table: string): Set<string>;
  has(table: string, column: string): boolean;
  size: number;
}

export function truthOf(tables: Record<string, string[]>): Truth {
  const map = new Map(Object.entries(tables).map(([table, columns]) => [table, new Set(columns)]));
  return {
    tables: map,
    columnsOf: (table) => map.get(table) ?? new Set(),
    has: (table, column) => map.get(table)?.has(column) ?? false,
    size: [...map.values()].reduce((sum, columns) => sum + columns.size, 0),
  };
}

export async function loadTruth(schema: string): Promise<Truth> {
  const text = await readFile(join(SCHEMAS_DIR, schema, 'truth.yml'), 'utf8');
  const parsed = (parse(text) ?? {}) as Record<string, unknown>;
  const tables: Record<string, string[]> = {};
  for (const [table, columns] of Object.entries(parsed)) {
    if (!Array.isArray(columns) || !columns.every((c): c is string => typeof c === 'string')) {
      throw new Error(`${schema}/truth.yml: ${table} must list column names`);
    }
    tables[table] = columns;
  }
  return truthOf(tables);
}

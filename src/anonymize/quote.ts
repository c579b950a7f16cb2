// The only way names reach SQL text: every identifier is double-quoted, never interpolated raw.
// Values never go through here; they travel as bind parameters.

/** `users` → `"users"`, `we"ird` → `"we""ird"`. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('an SQL identifier cannot be empty');
  if (name.includes('\0')) throw new Error('an SQL identifier cannot contain a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

export interface TableName {
  schema: string;
  table: string;
}

/** `"public"."users"`: always schema-qualified, so search_path never decides which table is hit. */
export function quoteTable(name: TableName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.table)}`;
}

const PLAIN = /^[a-z_][a-z0-9_]*$/;

/** A name as a human (and the ledger) reads it: quoted only where needed, `public.users`, `public."Table With Space"`. */
export function displayIdent(name: string): string {
  return PLAIN.test(name) ? name : quoteIdent(name);
}

export function displayTable(name: TableName): string {
  return `${displayIdent(name.schema)}.${displayIdent(name.table)}`;
}

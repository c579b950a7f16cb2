// Quoting for the few SQL statements that cannot take bind parameters (DDL).
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Literal quoting for generated values only (role passwords); rejects backslashes outright. */
export function quoteLiteral(value: string): string {
  if (value.includes('\\')) throw new Error('quoteLiteral: backslashes are not supported');
  return `'${value.replaceAll("'", "''")}'`;
}

// Fix-ups (docs/fixups.md): SQL statements run inside the masked fork before it is verified and
// exposed. Read here from `fixups:` (a list, one statement each) or `fixups_file:` (a .sql file,
// statements ended by `;`), and checked before anything runs: a statement is never empty and
// never ends or splits the transaction refork runs it in (that transaction also writes the
// fix-up's ledger row, which is what keeps a resumed run from applying it twice).

export interface Statement {
  text: string;
  /** 1-based line of the file where the statement starts (1 for a list entry). */
  line: number;
}

/**
 * Splits SQL text at the `;` that end statements, skipping those inside quotes, dollar quotes
 * and comments. A statement with nothing but whitespace and comments is returned as empty text,
 * so the caller can name it; text after the last `;` counts only when it holds something.
 */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let start = -1;
  let startLine = 1;
  let line = 1;
  for (let i = 0; i < sql.length;) {
    const span = tokenAt(sql, i);
    if (span.kind === 'end') {
      statements.push({ text: start < 0 ? '' : sql.slice(start, i).trim(), line: start < 0 ? line : startLine });
      start = -1;
    } else if (span.kind !== 'space' && span.kind !== 'comment' && start < 0) {
      start = i;
      startLine = line;
    }
    line += countLines(sql, i, span.end);
    i = span.end;
  }
  if (start >= 0) statements.push({ text: sql.slice(start).trim(), line: startLine });
  return statements;
}

function countLines(text: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') lines++;
  return lines;
}

type TokenKind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'end' | 'other';

/** The lexical span starting at `i`: enough of PostgreSQL's lexer to find statement ends and literals. */
function tokenAt(sql: string, i: number): { kind: TokenKind; end: number } {
  const c = sql[i] ?? '';
  if (/\s/.test(c)) {
    let end = i + 1;
    while (end < sql.length && /\s/.test(sql[end] ?? '')) end++;
    return { kind: 'space', end };
  }
  if (c === ';') return { kind: 'end', end: i + 1 };
  if (sql.startsWith('--', i)) {
    const newline = sql.indexOf('\n', i);
    return { kind: 'comment', end: newline < 0 ? sql.length : newline };
  }
  if (sql.startsWith('/*', i)) {
    // Block comments nest in PostgreSQL.
    let depth = 0;
    let end = i;
    while (end < sql.length) {
      if (sql.startsWith('/*', end)) {
        depth++;
        end += 2;
      } else if (sql.startsWith('*/', end)) {
        depth--;
        end += 2;
        if (depth === 0) break;
      } else end++;
    }
    return { kind: 'comment', end };
  }
  if (c === "'") return { kind: 'string', end: quotedEnd(sql, i, "'", false) };
  if ((c === 'E' || c === 'e') && sql[i + 1] === "'") return { kind: 'string', end: quotedEnd(sql, i + 1, "'", true) };
  if (c === '"') return { kind: 'quoted', end: quotedEnd(sql, i, '"', false) };
  if (c === '$') {
    const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
    if (tag) {
      const close = sql.indexOf(tag[0], i + tag[0].length);
      return { kind: 'string', end: close < 0 ? sql.length : close + tag[0].length };
    }
  }
  if (/[A-Za-z_]/.test(c)) {
    let end = i + 1;
    while (end < sql.length && /[A-Za-z0-9_$]/.test(sql[end] ?? '')) end++;
    return { kind: 'word', end };
  }
  return { kind: 'other', end: i + 1 };
}

/** End of a quoted span opened at `i`: a doubled quote stays inside, as does a backslash escape in E''. */
function quotedEnd(sql: string, i: number, quote: string, backslash: boolean): number {
  let end = i + 1;
  while (end < sql.length) {
    const c = sql[end];
    if (backslash && c === '\\') end += 2;
    else if (c === quote && sql[end + 1] === quote) end += 2;
    else if (c === quote) return end + 1;
    else end++;
  }
  return sql.length;
}

/** Statements that end, split or leave the transaction refork runs a fix-up in. */
const TRANSACTION_CONTROL = /^(begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|set\s+transaction)\b/i;

/** What is wrong with one statement, or null. `text` must be a single statement (from splitStatements). */
export function statementProblem(text: string): string | null {
  if (text === '') return 'is empty: remove it, or write the statement';
  const first = firstWords(text);
  if (TRANSACTION_CONTROL.test(first))
    return `controls the transaction (${first.split(/\s+/)[0]?.toUpperCase() ?? ''}): refork runs each fix-up in a transaction of its own with its ledger row; remove it`;
  return null;
}

function firstWords(text: string): string {
  const words: string[] = [];
  for (let i = 0; i < text.length && words.length < 2;) {
    const span = tokenAt(text, i);
    if (span.kind === 'word') words.push(text.slice(i, span.end));
    else if (span.kind !== 'space' && span.kind !== 'comment') break;
    i = span.end;
  }
  return words.join(' ');
}

/** The literal values in a statement (string and dollar-quoted contents): what an excerpt or error must not show. */
export function literalsOf(text: string): string[] {
  const literals: string[] = [];
  for (let i = 0; i < text.length;) {
    const span = tokenAt(text, i);
    if (span.kind === 'string') literals.push(unquote(text.slice(i, span.end)));
    i = span.end;
  }
  return literals;
}

function unquote(literal: string): string {
  if (literal.startsWith('$')) {
    const tag = /^\$[^$]*\$/.exec(literal)?.[0] ?? '$$';
    return literal.slice(tag.length, literal.length - tag.length);
  }
  const escaped = /^[Ee]/.test(literal);
  const body = literal
    .replace(/^[Ee]?'/, '')
    .replace(/'$/, '')
    .replace(/''/g, "'");
  // In E'' a backslash escapes the next character (\n and the like are close enough for redaction).
  return escaped ? body.replace(/\\(.)/g, '$1') : body;
}

export const EXCERPT_LENGTH = 60;

/**
 * A short, secret-free excerpt of a statement for errors: every literal is shown as '…' (a fix-up
 * may set a password), comments are dropped and whitespace is collapsed. E.g.
 * `UPDATE users SET encrypted_password = '…' WHERE email LIKE '…'`.
 */
export function excerptOf(text: string): string {
  let out = '';
  for (let i = 0; i < text.length;) {
    const span = tokenAt(text, i);
    if (span.kind === 'string') out += "'…'";
    else if (span.kind === 'space' || span.kind === 'comment') out += ' ';
    else out += text.slice(i, span.end);
    i = span.end;
  }
  const line = out.replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_LENGTH ? `${line.slice(0, EXCERPT_LENGTH - 1)}…` : line;
}

/**
 * `fixups:` entries as configured: each must be exactly one statement (a trailing `;` is fine).
 * Returns the statements, or the first problem as `[index]: message` for the config error.
 */
export function listedFixups(entries: string[]): { statements: string[] } | { problem: string } {
  const statements: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const parts = splitStatements(entry);
    if (parts.length > 1) return { problem: `[${index}]: holds ${parts.length} statements: list each as an entry of its own` };
    const text = parts[0]?.text ?? '';
    const problem = statementProblem(text);
    if (problem) return { problem: `[${index}]: fix-up ${index + 1} ${problem}` };
    statements.push(text);
  }
  return { statements };
}

/** A `fixups_file:` text: its statements, or the first problem naming the line it is on. */
export function fileFixups(text: string): { statements: string[] } | { problem: string } {
  const parts = splitStatements(text);
  if (parts.length === 0) return { problem: 'holds no statement: write the fix-ups, ended by `;`, or remove fixups_file' };
  for (const [index, part] of parts.entries()) {
    const problem = statementProblem(part.text);
    if (problem) return { problem: `line ${part.line}: fix-up ${index + 1} ${problem}` };
  }
  return { statements: parts.map((part) => part.text) };
}

// Columns computed from other columns of the same row. A stored generated column is recomputed by
// the UPDATE that masks its inputs (and a virtual one on every read), so it needs nothing. A
// column a BEFORE trigger computes (a search vector, a normalised copy) is not: masking turns user
// triggers off, so it would keep the words of production. Such a column is either recomputed,
// by leaving its trigger on while the table is masked (when the trigger only computes values of
// its own row), or refused before anything runs. Fail closed: a column nothing can be shown to
// recompute is a problem, not a pass.
import type { ColumnInfo, TableInfo, TriggerInfo } from './catalog.js';
import { displayTable, quoteIdent } from './quote.js';
import { valueKind } from './value-kind.js';

export interface TriggerEffect {
  trigger: TriggerInfo;
  /** Columns of NEW it assigns; 'unknown' for a function refork cannot read. */
  writes: string[] | 'unknown';
  /** Columns of the row it reads; 'unknown' when it reads the whole row or builds SQL at run time. */
  reads: string[] | 'unknown';
  /** It only computes values of its own row: running it again while masking has no other effect. */
  pure: boolean;
  /** Why it is not pure, for messages. */
  impurity?: string;
}

const TSVECTOR_TRIGGERS = new Set(['tsvector_update_trigger', 'tsvector_update_trigger_column']);
/** Built-in row triggers that change no column. */
const NO_WRITE_TRIGGERS = new Set(['suppress_redundant_updates_trigger']);

/** What a BEFORE ROW trigger on INSERT or UPDATE does to its row, as far as its source tells. */
export function triggerEffect(trigger: TriggerInfo, columns: ColumnInfo[]): TriggerEffect {
  const fn = trigger.function;
  if (fn.schema === 'pg_catalog' && TSVECTOR_TRIGGERS.has(fn.name)) {
    // (vector column, configuration [column], source columns…)
    const [target, config, ...sources] = trigger.args;
    const reads = fn.name === 'tsvector_update_trigger_column' && config ? [config, ...sources] : sources;
    return { trigger, writes: target ? [target] : [], reads, pure: true };
  }
  if (fn.schema === 'pg_catalog' && NO_WRITE_TRIGGERS.has(fn.name)) return { trigger, writes: [], reads: [], pure: true };
  if (fn.language !== 'plpgsql') {
    return { trigger, writes: 'unknown', reads: 'unknown', pure: false, impurity: `its function is written in ${fn.language}` };
  }
  return { trigger, ...readPlpgsql(fn.source, columns) };
}

/** Comments and string literals out, so words inside them are not read as code. */
function codeOf(source: string): string {
  return source
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''")
    .replace(/'(?:[^']|'')*'/g, "''");
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
/** Statements and calls with effects beyond the row: writes elsewhere, dynamic SQL, notifications, failures. */
const EFFECTS =
  /(?<!\.\s*)\b(insert|update|delete|merge|truncate|copy|execute|perform|call|notify|listen|lock|commit|rollback|nextval|setval|pg_notify|dblink\w*|lo_\w+|raise\s+exception)\b/i;

function identName(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.toLowerCase();
}

function readPlpgsql(source: string, columns: ColumnInfo[]): Pick<TriggerEffect, 'writes' | 'reads' | 'pure' | 'impurity'> {
  const code = codeOf(source);
  const known = new Set(columns.map((column) => column.name));
  // An assignment is a statement of its own: at the start, or after ; BEGIN THEN ELSE LOOP.
  const assignment = new RegExp(String.raw`(?:^|;|\bbegin\b|\bthen\b|\belse\b|\bloop\b)\s*new\s*\.\s*${IDENT}\s*:?=`, 'gi');
  const writes = [...new Set([...code.matchAll(assignment)].map((match) => identName(match[1] ?? '')))].filter((name) => known.has(name));
  const fields = new RegExp(String.raw`\bnew\s*\.\s*${IDENT}`, 'gi');
  const named = [...new Set([...code.matchAll(fields)].map((match) => identName(match[1] ?? '')))];
  // NEW used whole (row_to_json(NEW), NEW::text), or SQL built at run time, may read any column.
  const wholeRow = /\bnew\b(?!\s*\.)/i.test(code.replace(/\breturn\s+new\b/gi, ' '));
  const effect = EFFECTS.exec(code);
  return {
    writes,
    reads: wholeRow || effect?.[1]?.toLowerCase() === 'execute' ? 'unknown' : named.filter((name) => known.has(name)),
    pure: effect === null,
    ...(effect ? { impurity: `its function runs ${effect[1]?.toLowerCase().replace(/\s+/g, ' ')}` } : {}),
  };
}

/** The triggers that could change a row as it is written: BEFORE, FOR EACH ROW, on INSERT or UPDATE, enabled. */
export function rowTriggers(table: TableInfo): TriggerInfo[] {
  return table.triggers.filter(
    (trigger) =>
      trigger.enabled &&
      trigger.timing === 'before' &&
      trigger.forEachRow &&
      (trigger.events.includes('insert') || trigger.events.includes('update')),
  );
}

/** Can hold words of the masked text it is computed from. */
function carriesText(column: ColumnInfo): boolean {
  return valueKind(column) !== 'other';
}

export interface DerivedPlan {
  /** Triggers left on while the table is masked, so their columns are computed from masked values. */
  recompute: TriggerInfo[];
  /** Columns that would keep production's values: one line each, with the fix. */
  problems: Array<{ column: string; message: string }>;
}

/**
 * For a table about to be masked (`masked`: its columns under a masking rule; `declaredPublic`:
 * those declared { strategy: safe, scan: false }), which triggers must stay on, and which columns
 * nothing recomputes.
 */
export function planDerived(table: TableInfo, masked: ReadonlySet<string>, declaredPublic: ReadonlySet<string>): DerivedPlan {
  const recompute: TriggerInfo[] = [];
  const problems: DerivedPlan['problems'] = [];
  const recomputed = new Set<string>();
  const display = displayTable(table.name);
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  for (const trigger of rowTriggers(table)) {
    const effect = triggerEffect(trigger, table.columns);
    if (effect.writes === 'unknown') continue; // nothing to point at: the verification gates are the backstop
    const fromMasked = effect.reads === 'unknown' || effect.reads.some((column) => masked.has(column));
    const derived = effect.writes.filter((name) => {
      const column = byName.get(name);
      return column !== undefined && !masked.has(name) && !declaredPublic.has(name) && carriesText(column);
    });
    if (!fromMasked || derived.length === 0) continue;
    const blocker = !effect.pure
      ? (effect.impurity ?? 'it has effects beyond its row')
      : trigger.conditional
        ? 'it has a WHEN condition that may keep it from firing'
        : !trigger.events.includes('update')
          ? 'it does not fire on UPDATE'
          : undefined;
    if (blocker) {
      for (const column of derived) {
        problems.push({
          column,
          message: `${display}.${quoteIdent(column)} is computed by trigger ${quoteIdent(trigger.name)} from masked columns, and refork cannot run that trigger while masking (${blocker}): mask ${quoteIdent(column)} too, or declare it { strategy: safe, scan: false } if its values are public`,
        });
      }
      continue;
    }
    recompute.push(trigger);
    for (const column of derived) recomputed.add(column);
  }
  // A search vector nothing in the database recomputes is kept up to date by the application:
  // masking leaves it with production's words.
  if (masked.size > 0) {
    for (const column of table.columns) {
      if (column.baseType !== 'tsvector' || column.generated || masked.has(column.name) || declaredPublic.has(column.name)) continue;
      if (recomputed.has(column.name) || problems.some((problem) => problem.column === column.name)) continue;
      problems.push({
        column: column.name,
        message: `${display}.${quoteIdent(column.name)} is a search vector that nothing in the database recomputes after masking (the application writes it?), so it would keep production's words: mask it (e.g. null), or declare it { strategy: safe, scan: false } if its words are public`,
      });
    }
  }
  return { recompute, problems };
}

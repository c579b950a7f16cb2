// `refork scan`: proposes rules for a database from column names, types, tables and sampled
// values (emails, phones, cards, IBANs, IPs, tokens…). Values are only matched in memory; none is
// returned. Every rule it proposes can run on its column: each candidate strategy is compiled
// against the column as refork's engine would compile it, a constant is cast to the column's
// type and checked against the column's CHECK constraints by the database itself (read-only),
// and a column no strategy fits is left out of the rules with a comment, so `refork plan`
// reports it instead of a placeholder failing hours into a run.
import type pg from 'pg';
import { parse } from 'yaml';
import { loadCatalog, type ColumnInfo, type TableInfo } from './catalog.js';
import { classifyColumn, constantYaml, proposeStrategies, type PersonalKind, type Suggestion } from './classify.js';
import { detectPii, PII_LABELS, type PiiKind } from './detect.js';
import { isTextual } from './gates/pii.js';
import { lossReason } from './plan.js';
import { displayTable, quoteIdent, quoteTable } from './quote.js';
import { parseStrategy, tableRuleKey, type ColumnStrategy } from './rules.js';
import { sampleColumns } from './sample.js';
import { SqlParams } from './sql.js';
import { compileColumn } from './strategies.js';

export interface ScannedColumn {
  table: string;
  column: string;
  type: string;
  suggestion: Suggestion;
  /** Sampled values that matched each detector. */
  hits: Partial<Record<PiiKind, number>>;
  sampled: number;
}

export interface ScanReport {
  columns: ScannedColumn[];
  /** A complete `anonymize:` section to review: every table, every column. */
  suggestedRules: string;
}

/** Below this share of the sampled non-null values, a detector's hits are taken for chance. */
const VALUE_SHARE = 0.2;

/** What values alone say a column holds. */
function fromValues(kind: PiiKind): PersonalKind {
  switch (kind) {
    case 'email':
      return { kind: 'email' };
    case 'phone':
      return { kind: 'fake', fake: 'phone' };
    case 'ipv4':
      return { kind: 'device' };
    case 'jwt':
    case 'api_token':
      return { kind: 'credential' };
    case 'iban':
    case 'card':
    case 'ssn':
      return { kind: 'identifier' };
  }
}

interface Reference {
  /** `schema\0table\0column` of the referenced column (partition roots). */
  key: string;
  /** The foreign key follows an update of the referenced column (ON UPDATE CASCADE). */
  cascade: boolean;
}

interface Catalogued {
  /** `schema\0table\0column` of every column in a foreign key (partition roots) → the columns it refers to. */
  foreignKeys: Map<string, Reference[]>;
  /** `schema\0table\0column` → the expressions of CHECK constraints on that column alone. */
  checks: Map<string, string[]>;
  /** Enum type name → its first label. */
  firstLabels: Map<string, string>;
  /** `schema\0table` of tables with an enabled BEFORE ROW trigger on INSERT or UPDATE (one may keep a search vector). */
  rowTriggers: Set<string>;
}

const ACTOR_COLUMN = /_by(_id)?$|(^|_)(author|creator|uploader|editor|owner)(_?id)?$/;
const keyOf = (table: TableInfo, column: string) => `${table.name.schema}\u0000${table.name.table}\u0000${column}`;

async function catalogued(client: pg.Client): Promise<Catalogued> {
  const keys = await client.query<{ key: string[]; ref: string[]; cascade: boolean }>(
    `SELECT ARRAY[n.nspname::text, c.relname::text, a.attname::text] AS key,
            ARRAY[rn.nspname::text, rc.relname::text, ra.attname::text] AS ref, k.confupdtype = 'c' AS cascade
       FROM pg_catalog.pg_constraint k
       CROSS JOIN LATERAL unnest(k.conkey, k.confkey) AS u(attnum, refnum)
       JOIN pg_catalog.pg_class c ON c.oid = COALESCE(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
       JOIN pg_catalog.pg_class rc ON rc.oid = COALESCE(pg_catalog.pg_partition_root(k.confrelid), k.confrelid)
       JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
       JOIN pg_catalog.pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.refnum
      WHERE k.contype = 'f'`,
  );
  const checks = await client.query<{ schema: string; table: string; column: string; expression: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, pg_catalog.pg_get_expr(k.conbin, k.conrelid) AS expression
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = k.conrelid AND NOT c.relispartition
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'c' AND pg_catalog.cardinality(k.conkey) = 1`,
  );
  // tgtype bits: 1 row, 2 before, 4 insert, 16 update (src/include/catalog/pg_trigger.h).
  const triggers = await client.query<{ key: string[] }>(
    `SELECT DISTINCT ARRAY[n.nspname::text, c.relname::text] AS key
       FROM pg_catalog.pg_trigger t
       JOIN pg_catalog.pg_class c ON c.oid = COALESCE(pg_catalog.pg_partition_root(t.tgrelid), t.tgrelid)
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgtype & 3 = 3 AND t.tgtype & 20 <> 0`,
  );
  const labels = await client.query<{ type: string; label: string }>(
    `SELECT DISTINCT ON (e.enumtypid) pg_catalog.format_type(e.enumtypid, NULL) AS type, e.enumlabel AS label
       FROM pg_catalog.pg_enum e ORDER BY e.enumtypid, e.enumsortorder`,
  );
  const checkMap = new Map<string, string[]>();
  for (const row of checks.rows) {
    const key = `${row.schema}\u0000${row.table}\u0000${row.column}`;
    checkMap.set(key, [...(checkMap.get(key) ?? []), row.expression]);
  }
  const foreignKeys = new Map<string, Reference[]>();
  for (const row of keys.rows) {
    const key = row.key.join('\u0000');
    foreignKeys.set(key, [...(foreignKeys.get(key) ?? []), { key: row.ref.join('\u0000'), cascade: row.cascade }]);
  }
  return {
    foreignKeys,
    checks: checkMap,
    firstLabels: new Map(labels.rows.map((row) => [row.type, row.label])),
    rowTriggers: new Set(triggers.rows.map((row) => row.key.join('\u0000'))),
  };
}

/** Would the column accept `value` (null for NULL)? Its type, its domain and its own CHECK constraints decide, read-only. */
async function accepts(client: pg.Client, column: ColumnInfo, checks: string[], value: string | null): Promise<boolean> {
  await client.query('SAVEPOINT refork_scan_probe');
  try {
    const probe = `(SELECT $1::text::${column.type} AS ${quoteIdent(column.name)})`;
    await client.query(`SELECT 1 FROM ${probe} AS v`, [value]);
    for (const expression of checks) {
      // A CHECK passes unless it is false; NULL passes, as in a table.
      const result = await client.query<{ ok: boolean | null }>(`SELECT (${expression}) AS ok FROM ${probe} AS v`, [value]);
      if (result.rows[0]?.ok === false) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    await client.query('ROLLBACK TO SAVEPOINT refork_scan_probe');
  }
}

/** Literals and numbers a CHECK constraint names (`IN ('M', 'S')`, `BETWEEN 6.50 AND 200`): the first values a constant may take. */
function literalsOf(checks: string[]): string[] {
  return checks.flatMap((expression) => [
    ...[...expression.matchAll(/'((?:[^']|'')*)'/g)].map((match) => (match[1] ?? '').replaceAll("''", "'")),
    ...[...expression.replaceAll(/'(?:[^']|'')*'/g, '').matchAll(/(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])/g)].map((match) => match[0]),
  ]);
}

/**
 * Would every row still pass the column's CHECKs at the far ends of a shift or a noise? (A range
 * check holds in between when it holds at both ends.) Read-only: the extremes are computed in a
 * query, nothing is written.
 */
async function extremesPass(
  client: pg.Client,
  table: TableInfo,
  column: ColumnInfo,
  checks: string[],
  strategy: ColumnStrategy,
): Promise<boolean> {
  const ref = quoteIdent(column.name);
  const ends =
    strategy.kind === 'shift'
      ? column.baseType === 'date'
        ? [`${ref} - ${strategy.days}`, `${ref} + ${strategy.days}`]
        : [`${ref} - pg_catalog.make_interval(days => ${strategy.days})`, `${ref} + pg_catalog.make_interval(days => ${strategy.days})`]
      : strategy.kind === 'noise'
        ? [`${ref} * (1 - ${strategy.ratio})`, `${ref} * (1 + ${strategy.ratio})`]
        : [];
  if (checks.length === 0 || ends.length === 0) return true;
  await client.query('SAVEPOINT refork_scan_probe');
  try {
    for (const end of ends) {
      for (const expression of checks) {
        const result = await client.query<{ n: string }>(
          `SELECT pg_catalog.count(*) AS n
             FROM (SELECT (${end})::${column.type} AS ${ref} FROM ONLY ${quoteTable(table.name)} WHERE ${ref} IS NOT NULL) AS v
            WHERE (${expression}) IS FALSE`,
        );
        if (Number(result.rows[0]?.n ?? 1) > 0) return false;
      }
    }
    return true;
  } catch {
    return false;
  } finally {
    await client.query('ROLLBACK TO SAVEPOINT refork_scan_probe');
  }
}

/** The first candidate strategy that runs on this column, as YAML; '' when none does. */
async function firstThatRuns(
  client: pg.Client,
  table: TableInfo,
  column: ColumnInfo,
  candidates: string[],
  facts: Catalogued,
): Promise<string> {
  const checks = facts.checks.get(keyOf(table, column.name)) ?? [];
  for (const candidate of candidates) {
    if (candidate === 'null') {
      if (column.notNull || (column.unique && lossReason({ kind: 'null' }, column))) continue;
      if (await accepts(client, column, checks, null)) return 'null';
      continue;
    }
    if (candidate.startsWith('constant:')) {
      const given = candidate.slice('constant:'.length);
      const label = facts.firstLabels.get(column.type);
      const values = given !== '' ? [given] : [...literalsOf(checks), ...(label ? [label] : []), '', 'X', '0'];
      // A constant gives every row the same value: never on a unique column.
      if (column.unique) continue;
      for (const value of values) {
        if (await accepts(client, column, checks, value)) return constantYaml(value) || '{ strategy: constant, value: "" }';
      }
      continue;
    }
    try {
      const strategy = parseStrategy(parse(candidate), 'scan');
      compileColumn(strategy, column, quoteIdent(column.name), 'scan', { params: new SqlParams('scan') });
      if (column.unique && lossReason(strategy, column)) continue;
      if (!(await extremesPass(client, table, column, checks, strategy))) continue;
      return candidate;
    } catch {
      continue;
    }
  }
  return '';
}

/**
 * A search vector holds the words of the columns it indexes. One a BEFORE ROW trigger keeps is
 * left to it (the engine recomputes it from the masked columns, or refuses the rules when it
 * cannot show that the trigger does); one nothing in the database recomputes is emptied, since
 * its words may be personal and the application rebuilds it.
 */
async function searchVector(client: pg.Client, table: TableInfo, column: ColumnInfo, facts: Catalogued): Promise<Suggestion> {
  if (facts.rowTriggers.has(`${table.name.schema}\u0000${table.name.table}`)) {
    return { yaml: 'safe', reason: 'a search vector a trigger keeps: computed again from the masked columns', pii: false };
  }
  const rule = await firstThatRuns(client, table, column, [...(column.notNull ? [] : ['null']), 'constant:'], facts);
  return {
    yaml: rule,
    reason: rule
      ? 'a search vector nothing in the database recomputes (the application writes it): emptied, as its words may be personal'
      : 'a search vector nothing in the database recomputes, and nothing empties it here: write its rule',
    pii: false,
  };
}

/**
 * A foreign key column holds the values of the column it refers to: when that one is personal
 * (by its name), so is the copy. With ON UPDATE CASCADE the copy follows the masked value and
 * needs no rule of its own (`safe`); without it, masking the referenced column would break the
 * key, so no rule is proposed and plan reports the column for a human to decide.
 */
function personalReference(tables: TableInfo[], facts: Catalogued): (key: string) => Suggestion | undefined {
  const columns = new Map<string, { table: TableInfo; column: ColumnInfo }>();
  for (const table of tables) for (const column of table.columns) columns.set(keyOf(table, column.name), { table, column });
  return (key) => {
    for (const reference of facts.foreignKeys.get(key) ?? []) {
      const target = columns.get(reference.key);
      if (!target) continue;
      const siblings = target.table.columns.map((column) => column.name);
      const context = { table: target.table.name.table, siblings, foreignKey: facts.foreignKeys.has(reference.key) };
      const referenced = classifyColumn(target.column, context);
      if (!referenced.personal) continue;
      const name = `${displayTable(target.table.name)}.${target.column.name}`;
      return reference.cascade
        ? {
            yaml: 'safe',
            reason: `holds the values of ${name} (${referenced.reason}), which ON UPDATE CASCADE keeps in step with its mask`,
            pii: true,
          }
        : {
            yaml: '',
            reason: `holds the values of ${name} (${referenced.reason}) through a foreign key that does not follow updates: masking one breaks the key; write both rules`,
            pii: true,
          };
    }
    return undefined;
  };
}

export async function scanForPii(connect: () => Promise<pg.Client>): Promise<ScanReport> {
  const client = await connect();
  try {
    // Nothing here writes: the probes of constants run in a read-only transaction, rolled back.
    await client.query('BEGIN TRANSACTION READ ONLY');
    const catalog = await loadCatalog(client);
    const facts = await catalogued(client);
    const columns: ScannedColumn[] = [];
    const yaml: string[] = ['anonymize:', '  tables:'];
    const copyOf = personalReference(catalog.tables, facts);
    for (const table of catalog.tables) {
      const textual = table.columns.filter(isTextual).map((column) => column.name);
      const sample = await sampleColumns(client, table.name, table.estimatedRows, textual);
      yaml.push(`    ${JSON.stringify(tableRuleKey(table.name))}:`, '      columns:');
      const siblings = table.columns.map((column) => column.name);
      // What the rows are about: a reference through an actor column (uploaded_by, author) says
      // who wrote the row, not whom it concerns (LedgerSMB's file_base.uploaded_by → entity).
      const references = table.columns
        .filter((column) => !ACTOR_COLUMN.test(column.name.toLowerCase()))
        .flatMap((column) =>
          (facts.foreignKeys.get(keyOf(table, column.name)) ?? []).map((reference) => reference.key.split('\u0000')[1] ?? ''),
        );
      for (const column of table.columns) {
        const foreignKey = facts.foreignKeys.has(keyOf(table, column.name));
        const classification = classifyColumn(column, { table: table.name.table, siblings, foreignKey, references });
        const index = sample.columns.indexOf(column.name);
        const hits: Partial<Record<PiiKind, number>> = {};
        let present = 0;
        if (index >= 0) {
          for (const row of sample.rows) {
            const value = row[index];
            if (value === null || value === undefined) continue;
            present++;
            for (const kind of detectPii(value)) hits[kind] = (hits[kind] ?? 0) + 1;
          }
        }
        const [strongest, count] = (Object.entries(hits) as Array<[PiiKind, number]>).sort((a, b) => b[1] - a[1])[0] ?? [];
        const byValues =
          strongest &&
          count !== undefined &&
          count >= Math.max(1, present * VALUE_SHARE) &&
          !column.generated &&
          // A numeric or uuid key is an identifier whatever its digits look like; a text key can be an email.
          !(column.primaryKey && column.category !== 'S') &&
          !foreignKey;
        let personal = classification.personal;
        let reason = classification.reason;
        if (byValues && strongest) {
          const seen = `${count} of ${present} sampled values look like ${PII_LABELS[strongest]}`;
          // Emails are best masked as emails, whatever the column is called; a column its name calls
          // free text (`contact`) is masked as what its values show, keeping their shape.
          if (!personal || personal.kind === 'free_text' || (strongest === 'email' && column.category === 'S'))
            personal = fromValues(strongest);
          reason = personal === classification.personal ? `${reason}; ${seen}` : seen;
        }
        const copied = foreignKey ? copyOf(keyOf(table, column.name)) : undefined;
        let suggestion: Suggestion;
        if (column.generated) suggestion = { yaml: '', reason, pii: false };
        else if (copied) suggestion = copied;
        else if (column.baseType === 'tsvector' && !personal) suggestion = await searchVector(client, table, column, facts);
        else if (!personal) suggestion = { yaml: 'safe', reason, pii: false };
        else if (column.identityAlways)
          suggestion = { yaml: 'safe', reason: `${reason}, but GENERATED ALWAYS AS IDENTITY cannot be rewritten`, pii: true };
        else {
          const rule = await firstThatRuns(client, table, column, proposeStrategies(personal, column), facts);
          suggestion = rule
            ? { yaml: rule, reason, pii: true }
            : {
                yaml: '',
                reason: `${reason}: no strategy keeps a ${column.type}${column.unique ? ' under a unique index' : ''} valid; write its rule`,
                pii: true,
              };
        }
        columns.push({
          table: displayTable(table.name),
          column: column.name,
          type: column.type,
          suggestion,
          hits,
          sampled: index >= 0 ? sample.rows.length : 0,
        });
        if (suggestion.yaml) yaml.push(`        ${JSON.stringify(column.name)}: ${suggestion.yaml}   # ${suggestion.reason}`);
        else if (!column.generated) yaml.push(`        # ${JSON.stringify(column.name)}: ${suggestion.reason}`);
      }
    }
    return { columns, suggestedRules: yaml.join('\n') };
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
}

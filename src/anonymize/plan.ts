// Rules checked against the fork's catalog and compiled into statements, before anything is
// written: a rule that names a missing column, cannot produce the column's type, or would break
// a unique index is a RulesError here, not a failure hours into the run.
import type { Catalog, ColumnInfo, TableInfo } from './catalog.js';
import { tableKey } from './catalog.js';
import { displayTable, quoteIdent, quoteTable, type TableName } from './quote.js';
import { RulesError, type AnonymizeRules, type ColumnRule, type ColumnStrategy } from './rules.js';
import type { DictionaryName } from './fake.js';
import { SqlParams } from './sql.js';
import { compileColumn, isTextLike, type CompileContext } from './strategies.js';

export interface MaskedColumn {
  column: string;
  strategy: ColumnStrategy;
  where: string;
  /** The SQL that computes the masked value, over the row alias; its $n refer to the step's params. */
  expression: string;
  /** The keyed digest expressions inside `expression` (a fake may read one digest several times). */
  digests: string[];
}

export type TableStep =
  | { kind: 'truncate'; table: TableName; display: string; estimatedRows: number }
  | {
      kind: 'update';
      table: TableName;
      display: string;
      estimatedRows: number;
      columns: MaskedColumn[];
      sql: string;
      /** Bind values, the key among them: never print or log these. */
      params: unknown[];
    };

export interface Plan {
  /** Fake dictionaries the statements read, loaded into each masking session. */
  dictionaries: Set<DictionaryName>;
  /** Truncated together in one transaction: TRUNCATE refuses a referenced table unless its referrers go with it. */
  truncates: Extract<TableStep, { kind: 'truncate' }>[];
  updates: Extract<TableStep, { kind: 'update' }>[];
}

export interface PlanOptions {
  key: string;
}

/**
 * The updated row's alias: every column reference is qualified with it, so a subquery in a mask
 * (a dictionary lookup, a json array walk) can never capture a column of the same name.
 */
export const ROW_ALIAS = '"refork_row"';

export function buildPlan(rules: AnonymizeRules, catalog: Catalog, options: PlanOptions): Plan {
  const plan: Plan = { dictionaries: new Set(), truncates: [], updates: [] };
  const truncated = new Set<string>();
  for (const entry of rules.tables) {
    const table = catalog.find(entry.name);
    if (!table) {
      throw new RulesError(
        `${entry.where}: table ${displayTable(entry.name)} does not exist in the database; fix the name or remove the rule`,
      );
    }
    const display = displayTable(table.name);
    if (entry.rule.kind === 'safe') continue;
    if (entry.rule.kind === 'truncate') {
      truncated.add(tableKey(table.name));
      plan.truncates.push({ kind: 'truncate', table: table.name, display, estimatedRows: table.estimatedRows });
      continue;
    }
    const step = compileUpdate(table, entry.rule.columns, options, plan.dictionaries);
    if (step) plan.updates.push({ ...step, display });
  }
  for (const step of plan.truncates) {
    const table = catalog.find(step.table);
    const blocker = table?.referencedBy.find((referrer) => !truncated.has(tableKey(referrer)));
    if (blocker) {
      const where = rules.tables.find((entry) => tableKey(entry.name) === tableKey(step.table))?.where ?? rules.where;
      throw new RulesError(
        `${where}: ${step.display} is referenced by a foreign key from ${displayTable(blocker)}; truncate ${displayTable(blocker)} too, or mask ${step.display}'s columns instead`,
      );
    }
  }
  return plan;
}

function compileUpdate(
  table: TableInfo,
  rules: ColumnRule[],
  options: PlanOptions,
  dictionaries: Set<DictionaryName>,
): Omit<Extract<TableStep, { kind: 'update' }>, 'display'> | undefined {
  const params = new SqlParams(options.key);
  const ctx: CompileContext = { params, dictionaries };
  const assignments: string[] = [];
  const masked: MaskedColumn[] = [];
  for (const rule of rules) {
    const column = table.columns.find((candidate) => candidate.name === rule.column);
    if (!column) {
      throw new RulesError(
        `${rule.where}: column ${quoteIdent(rule.column)} does not exist in ${displayTable(table.name)}; fix the name or remove the rule`,
      );
    }
    if (rule.strategy.kind === 'safe') continue;
    if (column.generated) {
      throw new RulesError(
        `${rule.where}: ${quoteIdent(column.name)} is a generated column, recomputed from its inputs; mask the inputs and mark it safe`,
      );
    }
    if (column.identityAlways) {
      throw new RulesError(`${rule.where}: ${quoteIdent(column.name)} is GENERATED ALWAYS AS IDENTITY and cannot be updated; mark it safe`);
    }
    checkUniqueSafety(rule, column, table);
    const ref = `${ROW_ALIAS}.${quoteIdent(column.name)}`;
    const digests: string[] = [];
    const expression = compileColumn(rule.strategy, column, ref, rule.where, { ...ctx, digests });
    assignments.push(`${quoteIdent(column.name)} = ${expression}`);
    masked.push({ column: column.name, strategy: rule.strategy, where: rule.where, expression, digests: [...new Set(digests)] });
  }
  if (assignments.length === 0) return undefined;
  return {
    kind: 'update',
    table: table.name,
    estimatedRows: table.estimatedRows,
    columns: masked,
    // ONLY: a child of a (legacy) inheritance parent has its own rule and must not be masked twice.
    sql: `UPDATE ${table.partitioned ? '' : 'ONLY '}${quoteTable(table.name)} AS ${ROW_ALIAS} SET ${assignments.join(', ')}`,
    params: params.values,
  };
}

/** Why a strategy cannot keep distinct values distinct on this column, or undefined if it can. */
export function lossReason(strategy: ColumnStrategy, column: ColumnInfo): string | undefined {
  switch (strategy.kind) {
    case 'safe':
    case 'email':
      return undefined;
    case 'hash': {
      if (isTextLike(column)) {
        const width = Math.min(strategy.length ?? 64, column.maxLength ?? 64);
        return width < 16 ? `a hash cut to ${width} characters collides` : undefined;
      }
      if (column.baseType === 'int4' || column.baseType === 'int2') return `a hash squeezed into ${column.type} collides`;
      return undefined;
    }
    case 'sql':
      return 'a custom expression cannot be shown to keep values distinct';
    case 'null':
    case 'constant':
      return `${strategy.kind} gives every row the same value`;
    default:
      return `${strategy.kind} maps many values onto few`;
  }
}

function checkUniqueSafety(rule: ColumnRule, column: ColumnInfo, table: TableInfo): void {
  if (!column.unique) return;
  const reason = lossReason(rule.strategy, column);
  if (!reason) return;
  const under = column.primaryKey ? 'the primary key' : 'a unique index';
  throw new RulesError(
    `${rule.where}: ${quoteIdent(column.name)} is under ${under} of ${displayTable(table.name)} and ${reason}; use hash (≥ 16 characters) or email, or mark it safe`,
  );
}

// Rules checked against the catalog and compiled into statements, before anything is written: a
// rule that names a missing column or a partition, cannot produce the column's type, would break
// a unique index, or leaves a computed column with production's values is a problem here, with
// every other one, not a failure hours into the run. (typecheck.ts then compiles each statement
// against the real tables.)
import type { Catalog, ColumnInfo, TableInfo, TriggerInfo } from './catalog.js';
import { tableKey } from './catalog.js';
import { displayTable, quoteIdent, quoteTable, type TableName } from './quote.js';
import { RulesError, type AnonymizeRules, type ColumnRule, type ColumnStrategy } from './rules.js';
import { planDerived } from './derived.js';
import { SqlParams } from './sql.js';
import type { MaskPrimitives } from './primitives.js';
import { compileColumn, isTextLike, type CompileContext } from './strategies.js';

export interface MaskedColumn {
  column: string;
  strategy: ColumnStrategy;
  where: string;
  /** The SQL that computes the masked value, over the row alias; its $n refer to the step's params. */
  expression: string;
  /** The raw keyed digests (bytea expressions) inside `expression` (a fake may read one digest several times). */
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
      /** Bind values, the key material among them: never print or log these. */
      params: unknown[];
      /** User triggers left on while masking, so the columns they compute are computed from masked values. */
      recompute: TriggerInfo[];
    };

export interface Plan {
  /** Truncated together in one transaction: TRUNCATE refuses a referenced table unless its referrers go with it. */
  truncates: Extract<TableStep, { kind: 'truncate' }>[];
  updates: Extract<TableStep, { kind: 'update' }>[];
}

export interface PlanOptions {
  key: string;
  /** How HMACs and dictionary words are written; refork's own unless given (the benchmark's baseline gives others). */
  primitives?: MaskPrimitives;
}

/**
 * The updated row's alias: every column reference is qualified with it, so a subquery in a mask
 * (a dictionary lookup, a json array walk) can never capture a column of the same name.
 */
export const ROW_ALIAS = '"refork_row"';

export interface CompiledPlan {
  /** Every rule that compiled; a table or column with a problem is left out. */
  plan: Plan;
  /** Every rule that does not fit the schema, one line each naming its YAML key and the fix. */
  problems: string[];
}

/** A rule that does not fit the schema; `problems` holds every such rule, the message the first. */
export class PlanProblems extends RulesError {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? (problems[0] ?? '')
        : `${problems.length} rules do not fit the database: ${problems[0] ?? ''} (all of them: refork plan)`,
    );
  }
}

/** The plan, or a PlanProblems error carrying every problem. */
export function buildPlan(rules: AnonymizeRules, catalog: Catalog, options: PlanOptions): Plan {
  const { plan, problems } = compilePlan(rules, catalog, options);
  if (problems.length > 0) throw new PlanProblems(problems);
  return plan;
}

/** Compiles every rule it can, collecting every problem instead of stopping at the first. */
export function compilePlan(rules: AnonymizeRules, catalog: Catalog, options: PlanOptions): CompiledPlan {
  const plan: Plan = { truncates: [], updates: [] };
  const problems: string[] = [];
  const truncated = new Set<string>();
  for (const entry of rules.tables) {
    const table = catalog.find(entry.name);
    if (!table) {
      const root = catalog.partitionRoot(entry.name);
      problems.push(
        root
          ? `${entry.where}: ${displayTable(entry.name)} is a partition of ${displayTable(root)}, masked and checked through its rule: move this rule into ${displayTable(root)}`
          : `${entry.where}: table ${displayTable(entry.name)} does not exist in the database; fix the name or remove the rule`,
      );
      continue;
    }
    const display = displayTable(table.name);
    if (entry.rule.kind === 'safe') continue;
    if (entry.rule.kind === 'truncate') {
      truncated.add(tableKey(table.name));
      plan.truncates.push({ kind: 'truncate', table: table.name, display, estimatedRows: table.estimatedRows });
      continue;
    }
    const step = compileUpdate(table, entry.rule.columns, entry.where, options, problems);
    if (step) plan.updates.push({ ...step, display });
  }
  for (const step of plan.truncates) {
    const table = catalog.find(step.table);
    const blocker = table?.referencedBy.find((referrer) => !truncated.has(tableKey(referrer)));
    if (blocker) {
      const where = rules.tables.find((entry) => tableKey(entry.name) === tableKey(step.table))?.where ?? rules.where;
      problems.push(
        `${where}: ${step.display} is referenced by a foreign key from ${displayTable(blocker)}; truncate ${displayTable(blocker)} too, or mask ${step.display}'s columns instead`,
      );
    }
  }
  return { plan, problems };
}

/** One column's mask, or the reason it cannot be applied (a RulesError naming its YAML key). */
export function compileMask(table: TableInfo, rule: ColumnRule, ctx: CompileContext): { column: ColumnInfo; masked?: MaskedColumn } {
  const column = table.columns.find((candidate) => candidate.name === rule.column);
  if (!column) {
    throw new RulesError(
      `${rule.where}: column ${quoteIdent(rule.column)} does not exist in ${displayTable(table.name)}; fix the name or remove the rule`,
    );
  }
  if (rule.strategy.kind === 'safe') return { column };
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
  return {
    column,
    masked: { column: column.name, strategy: rule.strategy, where: rule.where, expression, digests: [...new Set(digests)] },
  };
}

/** `UPDATE ONLY t AS refork_row SET …` for these assignments. */
export function updateStatement(table: TableInfo, assignments: string[]): string {
  // ONLY: a child of a (legacy) inheritance parent has its own rule and must not be masked twice.
  return `UPDATE ${table.partitioned ? '' : 'ONLY '}${quoteTable(table.name)} AS ${ROW_ALIAS} SET ${assignments.join(', ')}`;
}

function compileUpdate(
  table: TableInfo,
  rules: ColumnRule[],
  tableWhere: string,
  options: PlanOptions,
  problems: string[],
): Omit<Extract<TableStep, { kind: 'update' }>, 'display'> | undefined {
  const params = new SqlParams(options.key);
  const ctx: CompileContext = { params, ...(options.primitives ? { primitives: options.primitives } : {}) };
  const masked: MaskedColumn[] = [];
  const declaredPublic = new Set<string>();
  let failed = false;
  for (const rule of rules) {
    try {
      const compiled = compileMask(table, rule, ctx);
      if (compiled.masked) masked.push(compiled.masked);
      else if (rule.strategy.kind === 'safe' && rule.strategy.scan === false) declaredPublic.add(rule.column);
    } catch (error) {
      if (!(error instanceof RulesError)) throw error;
      problems.push(error.message);
      failed = true;
    }
  }
  const derived = planDerived(table, new Set(masked.map((column) => column.column)), declaredPublic);
  const whereOf = new Map(rules.map((rule) => [rule.column, rule.where]));
  for (const problem of derived.problems) problems.push(`${whereOf.get(problem.column) ?? tableWhere}: ${problem.message}`);
  if (failed || derived.problems.length > 0 || masked.length === 0) return undefined;
  const assignments = masked.map((column) => `${quoteIdent(column.column)} = ${column.expression}`);
  // A trigger declared UPDATE OF other columns fires only when one of them is in the SET list.
  for (const trigger of derived.recompute) {
    const [first] = trigger.updateColumns;
    if (first !== undefined && !trigger.updateColumns.some((name) => masked.some((column) => column.column === name))) {
      assignments.push(`${quoteIdent(first)} = ${ROW_ALIAS}.${quoteIdent(first)}`);
    }
  }
  return {
    kind: 'update',
    table: table.name,
    estimatedRows: table.estimatedRows,
    columns: masked,
    sql: updateStatement(table, assignments),
    params: params.values,
    recompute: derived.recompute,
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

// Every rule compiled against the real tables before anything runs: each table's masking UPDATE
// is planned by the server (EXPLAIN, never executed) inside a savepoint that is rolled back at
// once, so a constant the column's type rejects, an expression that does not type-check or a
// function that does not exist is a one-line error naming the rule's YAML key, at plan time,
// not an hour into a run. EXPLAIN writes nothing and runs in a read-only transaction; the lock
// it takes on a table lasts only until its savepoint is rolled back. Call inside a transaction.
import type pg from 'pg';
import { tableKey, type Catalog, type TableInfo } from './catalog.js';
import { compileMask, compilePlan, updateStatement } from './plan.js';
import { quoteIdent } from './quote.js';
import { RulesError, type AnonymizeRules, type ColumnRule } from './rules.js';
import { messageOf } from './session.js';
import { SqlParams } from './sql.js';

/** Statements are compiled with a stand-in key: a key changes values, never types. */
const CHECK_KEY = 'refork-typecheck';
/** A table a migration holds is not waited for: the check is a transient failure, tried again later. */
export const LOCK_TIMEOUT = '5s';

/** A rule that could not be checked (a lost connection, a lock not granted): not a finding, try again. */
export class CheckNotRun extends Error {
  override name = 'CheckNotRun';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Every rule that does not fit the database, one line each; `[]` when every rule compiles. */
export async function typecheckRules(client: pg.Client, rules: AnonymizeRules, catalog: Catalog): Promise<string[]> {
  const { plan, problems } = compilePlan(rules, catalog, { key: CHECK_KEY });
  await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  for (const step of plan.updates) {
    const table = catalog.find(step.table);
    if (!table || (await explainError(client, step.sql, step.params)) === undefined) continue;
    // The table's statement does not compile: find the rules at fault, one statement each.
    const before = problems.length;
    for (const masked of step.columns) {
      const problem = await typecheckRule(client, table, { column: masked.column, strategy: masked.strategy, where: masked.where });
      if (problem) problems.push(problem);
    }
    if (problems.length === before) {
      problems.push(`${step.display}: ${(await explainError(client, step.sql, step.params)) ?? 'the masking statement does not compile'}`);
    }
  }
  // A table left out of the plan for a problem of one rule: its other rules are checked too.
  const planned = new Set(plan.updates.map((step) => tableKey(step.table)));
  for (const entry of rules.tables) {
    const table = catalog.find(entry.name);
    if (!table || entry.rule.kind !== 'columns' || planned.has(tableKey(table.name))) continue;
    for (const rule of entry.rule.columns) {
      const problem = await typecheckRule(client, table, rule);
      if (problem && !problems.includes(problem)) problems.push(problem);
    }
  }
  return problems;
}

/** Why this one rule would fail against `table`, or undefined when it compiles. Call inside a transaction. */
export async function typecheckRule(client: pg.Client, table: TableInfo, rule: ColumnRule): Promise<string | undefined> {
  const params = new SqlParams(CHECK_KEY);
  let masked;
  try {
    ({ masked } = compileMask(table, rule, { params }));
  } catch (error) {
    if (error instanceof RulesError) return error.message;
    throw error;
  }
  if (!masked) return undefined;
  const column = table.columns.find((candidate) => candidate.name === rule.column);
  const error = await explainError(client, updateStatement(table, [`${quoteIdent(masked.column)} = ${masked.expression}`]), params.values);
  if (error === undefined) return undefined;
  return `${rule.where}: strategy ${rule.strategy.kind} does not fit column ${quoteIdent(rule.column)} (${column?.type ?? 'unknown type'}): ${error}; give a value or expression of that type, or another strategy`;
}

/** SQLSTATE classes that mean "this statement is wrong": data exceptions, a domain's constraints, syntax and access rules. */
const RULE_ERROR = /^(22|23|42)/;

/** The server's message when the statement does not compile; undefined when it does. */
async function explainError(client: pg.Client, sql: string, params: unknown[]): Promise<string | undefined> {
  let failure: unknown;
  try {
    await client.query('SAVEPOINT refork_typecheck');
    try {
      await client.query(`EXPLAIN (COSTS OFF) ${sql}`, params);
    } catch (error) {
      failure = error;
    }
    // Also releases the lock the EXPLAIN took on the table.
    await client.query('ROLLBACK TO SAVEPOINT refork_typecheck');
    await client.query('RELEASE SAVEPOINT refork_typecheck');
  } catch (error) {
    throw notRun(error);
  }
  if (failure === undefined) return undefined;
  const code = sqlstate(failure);
  if (code && RULE_ERROR.test(code)) return messageOf(failure).split('\n')[0];
  throw notRun(failure);
}

function sqlstate(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function notRun(error: unknown): CheckNotRun {
  return new CheckNotRun(`the rules could not be checked: ${messageOf(error)}`, sqlstate(error));
}

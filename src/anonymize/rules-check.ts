// The check that costs no fork: the rules against a database's catalog (production's, before
// anything is created), read-only. Every table and column classified, every rule compiled
// against its real table. What it finds is final; a check that could not run (CheckNotRun, a
// lost connection) is for the caller to try again.
import type pg from 'pg';
import { loadCatalog } from './catalog.js';
import { describeUncovered, findUncovered, suggestPatch } from './coverage.js';
import type { AnonymizeRules } from './rules.js';
import { LOCK_TIMEOUT, typecheckRules } from './typecheck.js';

export interface RulesCheck {
  ok: boolean;
  /** Every problem, one line each: columns nobody classified, then rules that do not fit. */
  problems: string[];
  /** Rules to review and add for the unclassified columns (YAML under `anonymize:`), when there are any. */
  suggestedPatch?: string;
}

export async function checkRules(connect: () => Promise<pg.Client>, rules: AnonymizeRules): Promise<RulesCheck> {
  const client = await connect();
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // A table a migration holds is not waited for: the check could not run, and is tried again.
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const catalog = await loadCatalog(client);
    const uncovered = findUncovered(rules, catalog);
    const problems = [...uncovered.map(describeUncovered), ...(await typecheckRules(client, rules, catalog))];
    return { ok: problems.length === 0, problems, ...(uncovered.length > 0 ? { suggestedPatch: suggestPatch(uncovered) } : {}) };
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
}

// Read-only gates on the fork before it may be promoted. Each gate fails closed: a gate that
// could not run is never a pass. It is reported apart from what the gates found (`unchecked`
// vs `problems`): a lost connection is worth checking again, a finding is final.
import type pg from 'pg';
import { loadCatalog } from './catalog.js';
import type { Gate, GateContext } from './gates/check.js';
import { coverageGate } from './gates/coverage.js';
import { fixupsGate } from './gates/fixups.js';
import { formatsGate } from './gates/formats.js';
import { indexesGate } from './gates/indexes.js';
import { ledgerGate } from './gates/ledger.js';
import { piiGate } from './gates/pii.js';
import { residualGate } from './gates/residual.js';
import { scanScope } from './gates/scope.js';
import { statisticsGate } from './gates/statistics.js';
import { tableSamples } from './gates/table-sample.js';
import { compilePlan } from './plan.js';
import { appliedFixups, type FixupRef } from './fixups.js';
import type { AnonymizeRules } from './rules.js';
import { messageOf, scrub } from './session.js';

export interface VerifyOptions {
  connect: () => Promise<pg.Client>;
  rules: AnonymizeRules;
  runId: string;
  key: string;
  /** The pipeline's fix-ups (docs/fixups.md): each must be in this run's ledger; default none. */
  fixups?: FixupRef[];
}

export interface CheckResult {
  name: string;
  ok: boolean;
  problems: string[];
  /** Set when the check could not run (a lost connection, a failed query): it found nothing either way. */
  error?: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Every problem found, one line each. */
  problems: string[];
  /** Checks that could not run, one line each; ok only when this and `problems` are empty. */
  unchecked: string[];
  /** How many checks ran (a check that could not run counts, and fails). */
  checks: number;
  results: CheckResult[];
  /** Rules to review and add for columns nobody classified (YAML under `anonymize:`), when there are any. */
  suggestedPatch?: string;
}

/** In the order they run: cheap catalog checks first, sampling last. */
export const GATES: Gate[] = [coverageGate, ledgerGate, fixupsGate, residualGate, indexesGate, formatsGate, statisticsGate, piiGate];

export async function verifyAnonymized(options: VerifyOptions, gates: Gate[] = GATES): Promise<VerifyReport> {
  const results: CheckResult[] = [];
  const extras: GateContext['extras'] = {};
  const record = (name: string, found: string[]) => results.push({ name, ok: found.length === 0, problems: found });
  const couldNotRun = (name: string, error: string) => results.push({ name, ok: false, problems: [], error });
  let client: pg.Client | undefined;
  try {
    client = await options.connect();
    // Nothing here writes; a read-only transaction makes sure of it, and gives every gate one snapshot.
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const catalog = await loadCatalog(client);
    // Every rule that does not fit the database is a problem; the gates still check the rest.
    const { plan, problems } = compilePlan(options.rules, catalog, { key: options.key });
    record(
      'rules',
      problems.map((problem) => `rules do not match the database: ${scrub(problem, options.key)}`),
    );
    const scope = scanScope(options.rules, catalog);
    const applied = await appliedFixups(client, options.runId);
    // What a fix-up wrote is judged by the fixups gate, not by the shape of a masked value.
    const samples = tableSamples(
      client,
      plan,
      scope,
      options.key,
      applied.map((fixup) => fixup.xid),
    );
    const context: GateContext = {
      client,
      rules: options.rules,
      runId: options.runId,
      key: options.key,
      catalog,
      plan,
      scope,
      samples,
      fixups: { expected: options.fixups ?? [], applied },
      extras,
    };
    for (const gate of gates) {
      try {
        record(gate.name, await gate.run(context));
      } catch (error) {
        couldNotRun(gate.name, `check ${gate.name} could not run: ${scrub(messageOf(error), options.key)}`);
        // A failed statement aborts the transaction; the next gates need a working one.
        await client.query('ROLLBACK');
        await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      }
    }
  } catch (error) {
    couldNotRun('setup', `verification could not run: ${scrub(messageOf(error), options.key)}`);
  } finally {
    if (client) {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    }
  }
  const problems = results.flatMap((result) => result.problems);
  const unchecked = results.flatMap((result) => (result.error === undefined ? [] : [result.error]));
  return { ok: problems.length === 0 && unchecked.length === 0, problems, unchecked, checks: results.length, results, ...extras };
}

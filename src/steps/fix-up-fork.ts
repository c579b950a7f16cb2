// Run the pipeline's fix-ups in the masked fork (docs/fixups.md): each in a transaction with its
// row in the fork's ledger, so a resumed run applies none twice. The output is what the run's
// record keeps of them: ordinals, digests, rows and tables, never statement text.
import { applyFixups } from '../anonymize/fixups.js';
import { displayTable } from '../anonymize/quote.js';
import { forkConnector } from './anonymize-fork.js';
import type { StepDeps } from './deps.js';
import type { FixUpInput, FixUpOutput, StepContext } from './types.js';

export async function fixUpFork(deps: StepDeps, input: FixUpInput, context: StepContext): Promise<FixUpOutput> {
  const statements = deps.fixups ?? [];
  if (statements.length === 0) return { statements: [] };
  const outcomes = await applyFixups({
    connect: forkConnector(deps, input, context),
    statements,
    runId: input.runId,
    key: deps.anonymizeKey,
    signal: context.signal,
    boundary: deps.boundary,
  });
  for (const outcome of outcomes) {
    context.logger.info('fix-up', { ordinal: outcome.ordinal, digest: outcome.digest, rows: outcome.rows, resumed: outcome.resumed });
  }
  return { statements: outcomes.map((outcome) => ({ ...outcome, tables: outcome.tables.map(displayTable) })) };
}

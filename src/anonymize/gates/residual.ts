// Residual gate (docs/anonymization.md#gates): each masked table's ledger row proves that the in-transaction residual
// check ran over every column whose values must change, and found no original left.
import { recordedChecks } from '../ledger.js';
import { quoteIdent } from '../quote.js';
import type { Gate } from './check.js';

const MUST_CHANGE = new Set(['null', 'hash', 'email', 'partial', 'shift']);

interface Recorded {
  residual?: Record<string, { sampled?: number; unchanged?: number }>;
}

export const residualGate: Gate = {
  name: 'residual',
  async run({ client, runId, plan }) {
    const recorded = await recordedChecks(client, runId);
    const problems: string[] = [];
    for (const step of plan.updates) {
      if (!recorded.has(step.display)) continue; // the ledger gate reports the missing table
      const checks = (recorded.get(step.display) ?? {}) as Recorded;
      for (const column of step.columns) {
        if (!MUST_CHANGE.has(column.strategy.kind)) continue;
        const result = checks.residual?.[column.column];
        if (!result) problems.push(`${step.display}.${quoteIdent(column.column)}: no residual check was recorded for this run`);
        else if ((result.unchanged ?? 1) !== 0)
          problems.push(`${step.display}.${quoteIdent(column.column)}: ${result.unchanged} sampled original values survived masking`);
      }
    }
    return problems;
  },
};

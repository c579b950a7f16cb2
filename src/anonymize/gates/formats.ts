// Formats gate (docs/anonymization.md#gates): sampled values of every masked column look like that strategy's output,
// e.g. every email is u…@example.test; a value that does not was never masked.
import { quoteIdent } from '../quote.js';
import type { Gate } from './check.js';

export const formatsGate: Gate = {
  name: 'formats',
  async run({ catalog, plan, samples }) {
    const problems: string[] = [];
    for (const step of plan.updates) {
      const table = catalog.find(step.table);
      if (!table) continue;
      const sample = await samples.of(table);
      for (const [column, bad] of sample.misshapen) {
        if (bad > 0)
          problems.push(`${step.display}.${quoteIdent(column)}: ${bad} sampled values do not look masked (wrong shape for its strategy)`);
      }
    }
    return problems;
  },
};

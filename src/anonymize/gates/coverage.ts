// Coverage gate (docs/anonymization.md#gates): no column left unclassified; the report carries a rule patch for what is missing.
import { describeUncovered, findUncovered, suggestPatch } from '../coverage.js';
import type { Gate } from './check.js';

export const coverageGate: Gate = {
  name: 'coverage',
  async run({ rules, catalog, extras }) {
    const uncovered = findUncovered(rules, catalog);
    if (uncovered.length === 0) return [];
    extras.suggestedPatch = suggestPatch(uncovered);
    return uncovered.map(describeUncovered);
  },
};

// Ledger gate (docs/anonymization.md#gates): every planned table, and every materialized view,
// finished by this very run, and every foreign key a rewrite re-added NOT VALID validated since.
import { completedTables, ledgerExists, pendingKeys } from '../ledger.js';
import { listMaterializedViews } from '../views.js';
import type { Gate } from './check.js';

export const ledgerGate: Gate = {
  name: 'ledger',
  async run({ client, runId, plan }) {
    if (!(await ledgerExists(client))) return ['the ledger refork.anonymized is missing: anonymization never ran on this database'];
    const done = await completedTables(client, runId);
    const tables = [...plan.truncates, ...plan.updates]
      .filter((step) => !done.has(step.display))
      .map((step) => `${step.display} was not anonymized by run ${runId} (no ledger row)`);
    const views = (await listMaterializedViews(client))
      .filter((view) => !done.has(view.display))
      .map((view) => `materialized view ${view.display} was not refreshed by run ${runId}: it may still hold original values`);
    const keys = (await pendingKeys(client)).map(
      (key) =>
        `foreign key ${key.name} of ${key.table} was re-added NOT VALID while masking and never validated: resume the run to validate it`,
    );
    return [...tables, ...views, ...keys];
  },
};

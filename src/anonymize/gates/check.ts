// The shape of one verification gate: read-only, returns problems (one line each). A gate that
// throws could not check (the verifier records that apart from what gates found).
import type pg from 'pg';
import type { Catalog } from '../catalog.js';
import type { AppliedFixup, FixupRef } from '../fixups.js';
import type { Plan } from '../plan.js';
import type { AnonymizeRules } from '../rules.js';
import type { ScanScope } from './scope.js';
import type { TableSamples } from './table-sample.js';

export interface GateContext {
  client: pg.Client;
  rules: AnonymizeRules;
  runId: string;
  key: string;
  catalog: Catalog;
  plan: Plan;
  /** What the PII gates let through, partitions resolved to their tables. */
  scope: ScanScope;
  /** One sample per table, shared by every gate that reads rows. */
  samples: TableSamples;
  /** The pipeline's fix-ups and what this run's ledger in the fork says it applied. */
  fixups: { expected: FixupRef[]; applied: AppliedFixup[] };
  /** Where a gate leaves what the report carries besides problems. */
  extras: { suggestedPatch?: string };
}

export interface Gate {
  name: string;
  run(context: GateContext): Promise<string[]>;
}

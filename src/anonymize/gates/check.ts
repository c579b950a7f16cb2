// The shape of one verification gate: read-only, returns problems (one line each).
import type pg from 'pg';
import type { Catalog } from '../catalog.js';
import type { Plan } from '../plan.js';
import type { AnonymizeRules } from '../rules.js';

export interface GateContext {
  client: pg.Client;
  rules: AnonymizeRules;
  runId: string;
  key: string;
  catalog: Catalog;
  plan: Plan;
  /** Where a gate leaves what the report carries besides problems. */
  extras: { suggestedPatch?: string };
}

export interface Gate {
  name: string;
  run(context: GateContext): Promise<string[]>;
}

// What the steps need from the outside world, injected so each step can be tested alone.
import type { AnonymizeRules } from '../anonymize/index.js';
import type { ForkAppAccessPolicy } from '../config/pipeline.js';
import type { HerokuApi } from '../heroku/types.js';
import type { Boundary } from '../boundary.js';
import type { Clock } from '../clock.js';
import type { PreviousStore } from '../store/previous.js';

export interface StepDeps {
  heroku: HerokuApi;
  clock: Clock;
  boundary: Boundary;
  rules: AnonymizeRules;
  /** `refuse`: preflight stops a run when the fork app lets in anyone production does not. */
  forkAppAccess: ForkAppAccessPolicy;
  /** The control database's URL: it must never be the database a refresh replaces. */
  controlDatabaseUrl: string;
  anonymizeKey: string;
  /** The pipeline's fix-ups, run in the fork after masking (docs/fixups.md); unset: none. */
  fixups?: string[];
  /** The rollback window's records in the control database (docs/rollback.md); needed by `keep_previous` and rollbacks. */
  previous?: PreviousStore;
  /** The fork's plan and what the pipeline says of its disk (docs/disk.md); unset: no disk checks or limits. */
  disk?: { plan: string; storageBytes?: number; budgetBytes?: number };
  polling: {
    /** First interval between wait-status polls (Heroku's CLI uses 5 s). */
    minMs: number;
    /** Backoff cap: a few looks an hour on long waits, so fifty forks waiting at once stay well inside the rate budget. */
    maxMs: number;
    /** Data-API 404s tolerated right after creation before the fork counts as lost. */
    notFoundLimit: number;
    /** How long a release phase may run after promotion (the CLI waits 15 minutes). */
    releaseTimeoutMs: number;
  };
}

/** Runs a Heroku mutation between two named boundaries (crash points for the test suite). */
export async function mutation<T>(deps: Pick<StepDeps, 'boundary'>, name: string, call: () => Promise<T>): Promise<T> {
  deps.boundary(`heroku:${name}:before`);
  const result = await call();
  deps.boundary(`heroku:${name}:after`);
  return result;
}

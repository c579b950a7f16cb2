// The pipeline's effects, bound to their dependencies, keyed as the machine names them.
import { anonymizeFork, verifyFork } from './anonymize-fork.js';
import { cleanup } from './cleanup.js';
import { compensate } from './compensate.js';
import { createFork } from './create-fork.js';
import type { StepDeps } from './deps.js';
import { enterMaintenance, leaveMaintenance } from './maintenance.js';
import { fixUpFork } from './fix-up-fork.js';
import { preflight } from './preflight.js';
import { promote } from './promote.js';
import { cleanupRollback, releaseRollback, reservePrevious } from './rollback.js';
import type { Effects } from './types.js';
import { waitForFork } from './wait-for-fork.js';

export function createEffects(deps: StepDeps): Effects {
  return {
    preflight: (input, ctx) => preflight(deps, input, ctx),
    createFork: (input, ctx) => createFork(deps, input, ctx),
    waitForFork: (input, ctx) => waitForFork(deps, input, ctx),
    anonymize: (input, ctx) => anonymizeFork(deps, input, ctx),
    fixUp: (input, ctx) => fixUpFork(deps, input, ctx),
    verify: (input, ctx) => verifyFork(deps, input, ctx),
    enterMaintenance: (input, ctx) => enterMaintenance(deps, input, ctx),
    promote: (input, ctx) => promote(deps, input, ctx),
    leaveMaintenance: (input, ctx) => leaveMaintenance(deps, input, ctx),
    cleanup: (input, ctx) => cleanup(deps, input, ctx),
    compensate: (input, ctx) => compensate(deps, input, ctx),
    reservePrevious: (input, ctx) => reservePrevious(deps, input, ctx),
    cleanupRollback: (input, ctx) => cleanupRollback(deps, input, ctx),
    releaseRollback: (input, ctx) => releaseRollback(deps, input, ctx),
  };
}

export type { StepDeps } from './deps.js';

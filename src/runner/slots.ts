// How much one process does at once: runs in hand (each a lease and a few HTTP calls at a
// time) and, among them, heavy steps (anonymizing, verifying: database sessions on a fork for
// minutes to hours). A run waiting for its next poll takes no slot: it is back in the table.
import type { HeavySlot } from './advance.js';

export interface Limits {
  /** Runs worked on at once. */
  runs: number;
  /** Heavy steps at once; the default fits a small dyno. */
  heavy: number;
}

export const DEFAULT_LIMITS: Limits = { runs: 8, heavy: 2 };

export class Slots {
  #runs = 0;
  #heavy = 0;

  constructor(readonly limits: Limits) {}

  get freeRuns(): number {
    return Math.max(0, this.limits.runs - this.#runs);
  }

  get freeHeavy(): number {
    return Math.max(0, this.limits.heavy - this.#heavy);
  }

  takeRun(): boolean {
    if (this.freeRuns === 0) return false;
    this.#runs += 1;
    return true;
  }

  releaseRun(): void {
    this.#runs = Math.max(0, this.#runs - 1);
  }

  /**
   * A run's heavy allowance. `reserved`: the slot was taken when the run was claimed for a
   * heavy step, so its first `enter` cannot fail; later heavy steps ask again.
   */
  heavySlot(reserved: boolean): HeavySlot {
    let held = reserved;
    if (reserved) this.#heavy += 1;
    return {
      enter: () => {
        if (held) return true;
        if (this.freeHeavy === 0) return false;
        this.#heavy += 1;
        held = true;
        return true;
      },
      leave: () => {
        if (!held) return;
        held = false;
        this.#heavy = Math.max(0, this.#heavy - 1);
      },
    };
  }
}

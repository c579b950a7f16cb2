// Holds a run's lease: renews it in the background and knows, by the local monotonic clock,
// when it can no longer be sure it still owns the run (then it must stop on its own, even if
// the control database is unreachable: Heroku itself cannot check our fencing token).
import { performance } from 'node:perf_hooks';
import type { ControlStore, Lease } from '../store/types.js';

export class LeaseKeeper {
  private current: Lease;
  private deadline: number;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private lostReason: string | null = null;
  private readonly lostController = new AbortController();

  constructor(
    private readonly store: ControlStore,
    lease: Lease,
    private readonly ttlMs: number,
    acquiredAt: number,
  ) {
    this.current = lease;
    this.deadline = acquiredAt + this.safeWindow();
  }

  /** Aborted the moment the lease is known or presumed lost. */
  get lostSignal(): AbortSignal {
    return this.lostController.signal;
  }

  get lease(): Lease {
    return this.current;
  }

  get lost(): string | null {
    if (!this.lostReason && performance.now() > this.deadline) this.markLost('lease deadline passed without a renewal');
    return this.lostReason;
  }

  /** Keep a margin: a renewal that the database applied late must not let us run past expiry. */
  private safeWindow(): number {
    return this.ttlMs * 0.8;
  }

  start(): void {
    const every = Math.max(50, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => void this.renew(), every);
    this.timer.unref();
    this.armDeadline();
    // The deadline counts from before the claim: a claim that took long (a loaded machine, a slow
    // database) may leave less than one renewal period of it. Renew at once then. Runs are
    // claimed at every step that was due later, so this is not a rare case.
    if (this.deadline - performance.now() < every) void this.renew();
  }

  /**
   * Fires at the deadline itself, so a step in flight is cancelled through `lostSignal` while
   * the control database is unreachable, not only when the runner next looks between steps.
   */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    if (this.lostReason) return;
    this.deadlineTimer = setTimeout(
      () => {
        if (this.lost === null) this.armDeadline(); // renewed meanwhile, or the timer fired early
      },
      Math.max(1, Math.ceil(this.deadline - performance.now())),
    );
    this.deadlineTimer.unref();
  }

  async renew(): Promise<boolean> {
    if (this.lostReason) return false;
    const sentAt = performance.now();
    try {
      const renewed = await this.store.renewLease(this.current, this.ttlMs);
      if (!renewed) {
        this.markLost('lease taken over by another runner');
        return false;
      }
      this.current = renewed;
      this.deadline = sentAt + this.safeWindow();
      if (this.timer) this.armDeadline();
      return true;
    } catch {
      // Unreachable control database: keep the old deadline; `lost` turns true when it passes.
      return false;
    }
  }

  markLost(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.lostController.abort(new Error(reason));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.deadlineTimer);
  }
}

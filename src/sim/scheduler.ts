// Timers and background jobs of the simulator, tracked so close() can cancel and await them.
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly jobs = new Set<Promise<unknown>>();
  private readonly sleepers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  /** Runs `fn` after `ms`, unless the simulator closes first. */
  later(ms: number, fn: () => void | Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.closed) void this.track(Promise.resolve().then(fn));
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
  }

  /** Resolves after `ms` (immediately once closing, so jobs can wind down). */
  sleep(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve();
      }, ms);
      this.sleepers.set(timer, resolve);
    });
  }

  /** Keeps a background job's promise so close() waits for it; its failure is swallowed here. */
  track<T>(job: Promise<T>): Promise<T> {
    const settled = job.then(
      () => undefined,
      () => undefined,
    );
    this.jobs.add(settled);
    void settled.then(() => this.jobs.delete(settled));
    return job;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer);
      wake();
    }
    this.sleepers.clear();
    while (this.jobs.size > 0) await Promise.all([...this.jobs]);
  }
}

// Time as a dependency. refork's own clock (`now`, `sleep`) measures retry windows, backoff
// and poll intervals; leases and due times are decided by the control database's clock, so
// a span of refork time is turned into real milliseconds (`realMs`) before it reaches SQL.
// A scaled clock runs faster than the wall clock: tests and the fleet benchmark pass hours
// of simulated time in seconds without fake timers around sockets.
export interface Clock {
  /** Epoch milliseconds of refork time. */
  now(): number;
  /** Resolves after `ms` of refork time, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** The wall-clock length of a span of refork time. */
  realMs(ms: number): number;
}

/** Resolves after `ms` of wall-clock time, or at once when `signal` aborts (never rejects). */
export function sleepReal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: sleepReal,
  realMs: (ms) => ms,
};

/**
 * Runs `factor` times faster than the wall clock from `origin` (epoch ms) on. Processes that
 * share an origin and a factor agree on the time, as processes on one host do with the system clock.
 */
export function scaledClock(factor: number, origin: number = Date.now()): Clock {
  return {
    now: () => origin + (Date.now() - origin) * factor,
    sleep: (ms, signal) => sleepReal(ms / factor, signal),
    realMs: (ms) => ms / factor,
  };
}

/** REFORK_TIME_SCALE (a factor > 1) and REFORK_TIME_ORIGIN (epoch ms): for tests and benchmarks only. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const factor = Number(env.REFORK_TIME_SCALE ?? '');
  if (!Number.isFinite(factor) || factor <= 1) return systemClock;
  const origin = Number(env.REFORK_TIME_ORIGIN ?? '');
  return scaledClock(factor, Number.isFinite(origin) && origin > 0 ? origin : Date.now());
}

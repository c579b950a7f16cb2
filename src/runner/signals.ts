// SIGTERM (dyno restart, deploy) and SIGINT become an AbortSignal: the in-flight effect is
// abandoned, the lease released, and the process exits 0 well inside Heroku's 30 s grace.
export interface Shutdown {
  signal: AbortSignal;
  dispose(): void;
}

export function onShutdown(graceMs = 25_000, exit: (code: number) => void = (code) => process.exit(code)): Shutdown {
  const controller = new AbortController();
  let hardStop: NodeJS.Timeout | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // Heroku may send SIGTERM more than once.
    controller.abort(new Error(`received ${name}`));
    // Whatever still runs after the grace period is cut: the next start resumes from the last snapshot.
    hardStop = setTimeout(() => exit(0), graceMs);
    hardStop.unref();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      if (hardStop) clearTimeout(hardStop);
    },
  };
}

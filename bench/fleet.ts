// Benchmark (not a timed test): many pipelines refreshed by several `refork worker` processes
// sharing one control database, on the simulator with forks that take simulated hours.
//
//   npm run bench:fleet -- [--pipelines 50] [--workers 3] [--fork-minutes 120] [--scale 60] [--json]
//
// refork's clock and Heroku's rate-limit bucket run `scale` times faster than the wall clock,
// so a night of two-hour forks takes a couple of real minutes. The baseline is one fork's
// provisioning time: `ratio` = the fleet's whole refresh (first start to last end) / one fork.
// The last line is JSON: {pipelines, workers, forkSeconds, totalSeconds, ratio, runsPerPipeline,
// apiCallsPerHour, peakRssMb}; the exit code is non-zero when a goal is missed (ratio ≤ 1.5,
// every pipeline refreshed exactly once, at most half of Heroku's 4,500 calls an hour, < 200 MB
// per worker).
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../src/pg/embedded.js';
import { createFleet, peakRssMb } from '../test/support/fleet.js';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '50' },
    workers: { type: 'string', default: '3' },
    'fork-minutes': { type: 'string', default: '120' },
    scale: { type: 'string', default: '60' },
    customers: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const pipelines = Number(values.pipelines);
const workers = Number(values.workers);
const forkMinutes = Number(values['fork-minutes']);
const scale = Number(values.scale);
if (![pipelines, workers, forkMinutes, scale].every((n) => Number.isFinite(n) && n > 0)) {
  console.error('bench:fleet: --pipelines, --workers, --fork-minutes and --scale take positive numbers');
  process.exit(2);
}
const log = (line: string) => (values.json ? process.stderr.write(`${line}\n`) : console.log(line));

const HOURLY_BUDGET = 4_500;
const forkMs = forkMinutes * 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startEmbeddedPostgres();
let exitCode = 0;
try {
  log(`setting up ${pipelines} pipelines (forks take ${forkMinutes} simulated minutes, clock ×${scale})…`);
  const fleet = await createFleet({ postgresUrl: server.url, pipelines, forkMs, scale, customers: Number(values.customers) });
  try {
    const startedAt = await fleet.databaseNow();
    const callsBefore = fleet.sim.requests.length;
    const running = Array.from({ length: workers }, () => fleet.startWorker());
    const peaks = running.map(() => 0);
    // Give up long after a healthy fleet would have finished.
    const giveUpAt = Date.now() + (forkMs / scale) * 4 + 10 * 60_000;
    let done = false;
    for (let lastReport = 0; !done && Date.now() < giveUpAt;) {
      await sleep(1_000);
      for (const [i, worker] of running.entries()) peaks[i] = Math.max(peaks[i] ?? 0, (await peakRssMb(worker.child.pid)) ?? 0);
      const runs = await fleet.runs();
      const finished = fleet.pipelines.filter((p) => (runs.get(p)?.runs ?? 0) > 0 && runs.get(p)?.active === 0).length;
      done = finished === fleet.pipelines.length;
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const simulated = ((Date.now() - startedAt.getTime()) * scale) / 60_000;
        log(
          `  ${simulated.toFixed(0)} simulated min: ${finished}/${pipelines} pipelines refreshed, ${fleet.sim.requests.length - callsBefore} API calls`,
        );
      }
    }
    const endedAt = (await fleet.lastFinishedAt()) ?? (await fleet.databaseNow());
    const calls = fleet.sim.requests.length - callsBefore;
    for (const worker of running) worker.child.kill('SIGTERM');
    const exits = await Promise.all(running.map((worker) => worker.done));
    const runs = await fleet.runs();
    const counts = fleet.pipelines.map((p) => runs.get(p) ?? { runs: 0, succeeded: 0, active: 0 });

    const totalSeconds = ((endedAt.getTime() - startedAt.getTime()) * scale) / 1000;
    const forkSeconds = forkMs / 1000;
    const result = {
      pipelines,
      workers,
      forkSeconds,
      totalSeconds: Math.round(totalSeconds),
      ratio: Number((totalSeconds / forkSeconds).toFixed(3)),
      runsPerPipeline: Math.max(...counts.map((c) => c.runs)),
      apiCallsPerHour: Math.round(calls / (totalSeconds / 3600)),
      peakRssMb: Math.round(Math.max(...peaks)),
    };
    const misses = [
      !done ? 'not every pipeline finished' : null,
      counts.some((c) => c.runs !== 1 || c.succeeded !== 1) ? 'a pipeline was not refreshed exactly once' : null,
      result.ratio > 1.5 ? `ratio ${result.ratio} > 1.5` : null,
      result.apiCallsPerHour > HOURLY_BUDGET / 2 ? `${result.apiCallsPerHour} API calls an hour > half the budget` : null,
      result.peakRssMb >= 200 ? `a worker peaked at ${result.peakRssMb} MB` : null,
      exits.some((e) => e.code !== 0) ? `a worker exited ${exits.map((e) => e.code ?? e.signal).join(',')} on SIGTERM` : null,
    ].filter((m) => m !== null);
    log(`peak RSS per worker: ${peaks.map((mb) => `${Math.round(mb)} MB`).join(', ')}`);
    for (const miss of misses) log(`MISSED: ${miss}`);
    if (misses.length) {
      exitCode = 1;
      for (const exit of exits) log(exit.stderr.split('\n').slice(-5).join('\n'));
    }
    console.log(JSON.stringify(result));
  } finally {
    await fleet.close();
  }
} finally {
  await server.stop();
}
process.exit(exitCode);

// A refresh whose fork takes simulated hours: polling backs off to about one look a minute,
// so the Heroku calls of any simulated hour stay far inside the 4,500-per-hour budget; and a
// runner polling for a long time keeps a flat memory footprint.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/open.js';
import { silentLogger } from '../../src/log/logger.js';
import { scaledClock } from '../../src/clock.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { migrateToLatest } from '../../src/store/index.js';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const HOUR = 3_600_000;
/** Heroku's Platform API budget per token. */
const HEROKU_BUDGET_PER_HOUR = 4_500;

describe('resource bounds on a long wait', () => {
  it('polls about once a minute once backed off, far inside the hourly rate limit', { timeout: 120_000 }, async () => {
    const factor = 1_200; // one real second is twenty simulated minutes
    world = await createWorld({ provisionDelayMs: 9_000 }); // three simulated hours of provisioning
    const w = world;
    const clock = scaledClock(factor);
    const app = await openApp({
      // Production polling: from 5 s, backing off to a minute.
      processEnv: { ...w.env, REFORK_POLL_MIN_MS: '5000', REFORK_POLL_MAX_MS: '60000' },
      clock,
      logger: silentLogger(),
    });
    const samples: Array<{ at: number; calls: number; waits: number }> = [];
    const waitCalls = () => w.sim.requests.filter((r) => /^\/addons\/[^/]+$|\/wait_status$/.test(r.path)).length;
    const sampler = setInterval(() => samples.push({ at: clock.now(), calls: w.sim.requests.length, waits: waitCalls() }), 20);
    try {
      await migrateToLatest(app.knex);
      const pipeline = app.pipeline('staging');
      const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, {
        start: true,
        deadline: null,
        shutdown: new AbortController().signal,
      });
      expect(outcome.kind === 'finished' && outcome.status).toBe('succeeded');
    } finally {
      clearInterval(sampler);
      await app.close();
    }
    samples.push({ at: clock.now(), calls: w.sim.requests.length, waits: waitCalls() });

    const simulated = (samples.at(-1)?.at ?? 0) - (samples[0]?.at ?? 0);
    expect(simulated).toBeGreaterThan(2.5 * HOUR);
    // The busiest simulated hour (sliding window) of all Heroku calls, and of the wait's calls after the first hour.
    let busiest = 0;
    let busiestWaitsLater = 0;
    let j = 0;
    for (const sample of samples) {
      while ((samples[j]?.at ?? 0) < sample.at - HOUR) j++;
      const start = samples[j];
      if (!start) continue;
      busiest = Math.max(busiest, sample.calls - start.calls);
      if (start.at - (samples[0]?.at ?? 0) >= HOUR) busiestWaitsLater = Math.max(busiestWaitsLater, sample.waits - start.waits);
    }
    console.log(
      `long wait: ${(simulated / HOUR).toFixed(1)} simulated hours, ${waitCalls()} wait calls, busiest hour ${busiest} calls, steady state ${busiestWaitsLater} wait calls/hour`,
    );
    expect(busiest).toBeLessThan(HEROKU_BUDGET_PER_HOUR / 10);
    // Backed off: one look a minute is at most ~60 add-on or wait-status GETs an hour.
    expect(busiestWaitsLater).toBeLessThanOrEqual(70);
    // And still polling: a run that stopped looking would not notice the fork.
    expect(busiestWaitsLater).toBeGreaterThan(10);
    expect((await checkInvariants(w, { status: 'succeeded' })).violations).toEqual([]);
  });

  it('keeps the runner process flat in memory across hundreds of polls', { timeout: 120_000 }, async () => {
    world = await createWorld({ provisionDelayMs: 30_000 });
    const w = world;
    // Poll as fast as possible so a per-poll leak would add up.
    const child = w.spawn(['run', 'staging'], { REFORK_POLL_MIN_MS: '1', REFORK_POLL_MAX_MS: '2', REFORK_LOG_LEVEL: 'warn' });
    const pid = child.child.pid;
    if (pid === undefined) throw new Error('runner did not start');
    const rss: Array<{ kb: number; polls: number }> = [];
    const polls = () => w.sim.requests.filter((r) => /^\/addons\/[^/]+$/.test(r.path)).length;
    let finished = false;
    void child.done.then(() => (finished = true));
    while (!finished) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      if (Number.isFinite(kb)) rss.push({ kb, polls: polls() });
      await new Promise((r) => setTimeout(r, 250));
    }
    const result = await child.done;
    expect(result.stdout).toMatch(/succeeded/);
    // Compare once warmed up (a third of the polls done) with the end of the wait.
    const total = rss.at(-1)?.polls ?? 0;
    expect(total).toBeGreaterThan(400);
    const warm = rss.filter((s) => s.polls > total / 3);
    const early = Math.max(...warm.slice(0, Math.max(1, Math.floor(warm.length / 4))).map((s) => s.kb));
    const late = Math.max(...warm.slice(-Math.max(1, Math.floor(warm.length / 4))).map((s) => s.kb));
    console.log(`memory: ${total} polls, RSS warm ${Math.round(early / 1024)} MB → late ${Math.round(late / 1024)} MB`);
    expect(late - early).toBeLessThan(30 * 1024);
  });
});

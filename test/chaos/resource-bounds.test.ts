// A refresh whose fork takes simulated hours: polling backs off to about one look a minute,
// so the Heroku calls of any simulated hour stay far inside the 4,500-per-hour budget; and a
// runner polling for a long time retains no data per poll.
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/open.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Clock } from '../../src/runner/clock.js';
import { systemClock } from '../../src/runner/clock.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { migrateToLatest } from '../../src/store/index.js';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, until, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Time runs `factor` times faster than the wall clock: sleeps shrink, `now()` races ahead. */
function fastClock(factor: number): Clock {
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * factor,
    sleep: (ms, signal) => systemClock.sleep(ms / factor, signal),
  };
}

const HOUR = 3_600_000;
/** Heroku's Platform API budget per token. */
const HEROKU_BUDGET_PER_HOUR = 4_500;

describe('resource bounds on a long wait', () => {
  it('polls about once a minute once backed off, far inside the hourly rate limit', { timeout: 120_000 }, async () => {
    const factor = 1_200; // one real second is twenty simulated minutes
    world = await createWorld({ provisionDelayMs: 9_000 }); // three simulated hours of provisioning
    const w = world;
    const clock = fastClock(factor);
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

  // Retained data, not RSS. RSS moves by tens of MB with V8's heap sizing and the allocator's
  // free lists (measured: 111–166 MB over 4,500 polls), and even the heap after a full GC
  // creeps by ~0.5 KB per poll for a few thousand polls while V8 compiles and re-optimises hot
  // code (heap snapshots: compiled code, deopt data and feedback, which level off). A leak is
  // data the program keeps: objects, closures, arrays and strings in a heap snapshot, compared
  // between two points a thousand polls apart. One retained response per poll (~1 KB) would
  // be ~1 MB here.
  it('retains no data per poll: objects in the heap stay flat across a thousand polls', { timeout: 300_000 }, async () => {
    world = await createWorld({ provisionDelayMs: 3_600_000 }); // the fork never becomes ready here
    const w = world;
    // A heap snapshot stops the process for seconds: a lease that outlives it keeps the run polling.
    const app = await openApp({
      processEnv: { ...w.env, REFORK_POLL_MIN_MS: '1', REFORK_POLL_MAX_MS: '2', REFORK_LEASE_TTL_MS: '120000' },
      logger: silentLogger(),
    });
    // The simulator shares this process and logs every request: count the polls, then drop the log.
    let polled = 0;
    const polls = () => {
      polled += w.sim.requests.filter((r) => /^\/addons\/[^/]+$/.test(r.path)).length;
      w.sim.requests.length = 0;
      return polled;
    };
    const shutdown = new AbortController();
    const retained: Array<{ polls: number; bytes: number }> = [];
    try {
      await migrateToLatest(app.knex);
      const pipeline = app.pipeline('staging');
      const run = runPipeline(app.runnerDeps(pipeline), pipeline, { start: true, deadline: null, shutdown: shutdown.signal });
      // Counted in polls, not seconds: a busy machine polls more slowly and the test means the same.
      for (const target of [500, 1500]) {
        await until(async () => polls() >= target, `${target} polls`, 240_000);
        retained.push({ polls: polls(), bytes: await retainedDataBytes() });
      }
      shutdown.abort(new Error('enough polls'));
      expect((await run).kind).toBe('stopped');
    } finally {
      shutdown.abort(new Error('test over'));
      await app.close();
    }
    const [warm, late] = retained;
    if (!warm || !late) throw new Error('no heap samples');
    const perPoll = (late.bytes - warm.bytes) / (late.polls - warm.polls);
    console.log(
      `memory: retained data ${(warm.bytes / 1e6).toFixed(2)} MB at ${warm.polls} polls → ${(late.bytes / 1e6).toFixed(2)} MB at ${late.polls}: ${perPoll.toFixed(0)} bytes/poll`,
    );
    expect(perPoll).toBeLessThan(100);
  });
});

/** Self size of the data in a heap snapshot: everything but V8's code, feedback and internal structures. */
async function retainedDataBytes(): Promise<number> {
  let text = '';
  for await (const chunk of v8.getHeapSnapshot()) text += String(chunk);
  const snapshot = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const [type, size, width] = [fields.indexOf('type'), fields.indexOf('self_size'), fields.length];
  const data = new Set(['object', 'closure', 'array', 'string', 'concatenated string', 'sliced string', 'regexp', 'number', 'bigint']);
  let bytes = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    if (data.has(types[0][snapshot.nodes[i + type] ?? -1] ?? '')) bytes += snapshot.nodes[i + size] ?? 0;
  }
  return bytes;
}

// Everything around the swap at once, under the real `heroku` CLI's eyes: a refresh with
// `keep_previous`, `fixups` and `maintenance: true`, then `refork rollback`. The CLI reads the
// simulator with code nobody here wrote: `heroku maintenance` says staging is open again after
// each, and `heroku pg:info` shows which database is DATABASE and which is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../support/invariants.js';
import { createWorld, TOKEN, type World } from '../support/world.js';
import { describeRun, herokuCli, type HerokuCli } from './heroku-cli.js';

let world: World;
let cli: HerokuCli;

beforeAll(async () => {
  world = await createWorld({ maintenance: true, fixups: true, pipeline: { keep_previous: '24h' } });
  cli = await herokuCli({ apiUrl: world.sim.url, token: TOKEN });
});

afterAll(async () => {
  await cli?.dispose();
  await world?.close();
});

async function heroku(args: string[]): Promise<string> {
  const result = await cli.run(args);
  expect(result.code, describeRun(args, result)).toBe(0);
  return result.stdout;
}

/** Which add-on each of staging's config vars points at, as `heroku pg:info` lists them. */
async function databases(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const block of (await heroku(['pg:info', '--app', 'acme-staging'])).split(/^=== /m)) {
    const addon = /Add-on:\s+(\S+)/.exec(block)?.[1];
    if (!addon) continue;
    for (const variable of (block.split('\n')[0] ?? '').split(',')) found.set(variable.trim(), addon);
  }
  return found;
}

/** Staging's maintenance switches, in order, as the simulator logged them. */
const switches = () =>
  world.sim.events
    .filter((e) => e.type === 'app.updated' && e.app?.name === 'acme-staging')
    .map((e) => (e.detail as { maintenance?: boolean } | undefined)?.maintenance);

describe('a refresh with keep_previous, fix-ups and maintenance mode, then a rollback', () => {
  it('keeps every promise of each option, as the heroku CLI reads them back', { timeout: 300_000 }, async () => {
    const run = await world.cli(['run', 'staging']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Maintenance went on for the swap and off after it; fix-ups applied once, in the promoted fork.
    expect(switches()).toEqual([true, false]);
    expect((await heroku(['maintenance', '-a', 'acme-staging'])).trim()).toBe('off');
    expect((await checkInvariants(world, { status: 'succeeded' })).violations).toEqual([]);
    const refreshed = await databases();
    const fork = refreshed.get('DATABASE_URL');
    expect(fork).toMatch(/^refork-staging-/);
    expect(refreshed.get('REFORK_PREVIOUS_URL')).toBe(world.oldStagingAddon);

    const rollback = await world.cli(['rollback', 'staging']);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    const rolledBack = await databases();
    expect(rolledBack.get('DATABASE_URL')).toBe(world.oldStagingAddon);
    expect(rolledBack.get('REFORK_PREVIOUS_URL')).toBe(fork);
    expect((await heroku(['maintenance', '-a', 'acme-staging'])).trim()).toBe('off');
  });
});

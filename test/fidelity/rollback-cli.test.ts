// The rollback window under the real `heroku` CLI's eyes: after a refresh with keep_previous,
// `heroku pg:info` lists the replaced database under REFORK_PREVIOUS_URL beside DATABASE_URL on
// the new fork; after `refork rollback`, DATABASE_URL is that database again and the fork is
// the one under REFORK_PREVIOUS_URL. The CLI reads the simulator with code nobody here wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, TOKEN, type World } from '../support/world.js';
import { describeRun, herokuCli, type HerokuCli } from './heroku-cli.js';

let world: World;
let cli: HerokuCli;

beforeAll(async () => {
  world = await createWorld({ pipeline: { keep_previous: '24h' } });
  cli = await herokuCli({ apiUrl: world.sim.url, token: TOKEN });
});

afterAll(async () => {
  await cli?.dispose();
  await world?.close();
});

/** pg:info's blocks: `=== <config vars>` then `Add-on: <name>` among its fields. */
async function pgInfo(): Promise<Array<{ vars: string[]; addon: string }>> {
  const args = ['pg:info', '--app', 'acme-staging'];
  const result = await cli.run(args);
  expect(result.code, describeRun(args, result)).toBe(0);
  return result.stdout
    .split(/^=== /m)
    .filter((block) => block.trim() !== '')
    .map((block) => ({
      vars: (block.split('\n')[0] ?? '').split(',').map((v) => v.trim()),
      addon: /Add-on:\s+(\S+)/.exec(block)?.[1] ?? '',
    }));
}

describe('keep_previous and refork rollback, as heroku pg:info shows them', () => {
  it('shows the kept database under REFORK_PREVIOUS after a refresh, and as DATABASE after a rollback', { timeout: 180_000 }, async () => {
    const run = await world.cli(['run', 'staging']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const after = await pgInfo();
    const database = after.find((b) => b.vars.includes('DATABASE_URL'));
    const kept = after.find((b) => b.vars.includes('REFORK_PREVIOUS_URL'));
    expect(database?.addon).toMatch(/^refork-staging-/);
    expect(kept?.addon).toBe(world.oldStagingAddon);

    const rollback = await world.cli(['rollback', 'staging']);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    const rolledBack = await pgInfo();
    expect(rolledBack.find((b) => b.vars.includes('DATABASE_URL'))?.addon).toBe(world.oldStagingAddon);
    expect(rolledBack.find((b) => b.vars.includes('REFORK_PREVIOUS_URL'))?.addon).toBe(database?.addon);
    expect(rolledBack.find((b) => b.addon === world.oldStagingAddon)?.vars).not.toContain('REFORK_PREVIOUS_URL');
  });
});

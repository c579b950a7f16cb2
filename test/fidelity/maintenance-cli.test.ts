// The real `heroku` CLI reads and sets the simulator's maintenance mode (`heroku maintenance`,
// `maintenance:on`, `maintenance:off`: GET and PATCH /apps/{app}), and reads back what a
// refresh with `maintenance: true` did: staging out of maintenance after it, and an owner's
// window left on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHerokuClient } from '../../src/heroku/client.js';
import type { Simulator } from '../../src/sim/index.js';
import { createWorld, TOKEN as WORLD_TOKEN, type World } from '../support/world.js';
import { describeRun, fidelitySimulator, herokuCli, type CliResult, type HerokuCli } from './heroku-cli.js';

const TOKEN = 'fidelity-maintenance-token';

let sim: Simulator;
let cli: HerokuCli;

beforeAll(async () => {
  sim = await fidelitySimulator(TOKEN);
  sim.createApp('acme-staging');
  sim.createApp('acme-team-app', { team: 'acme' });
  sim.addTeamMember('acme', sim.account, 'member');
  cli = await herokuCli({ apiUrl: sim.url, token: TOKEN });
});

afterAll(async () => {
  await cli?.dispose();
  await sim?.close();
});

async function heroku(run: HerokuCli, args: string[], outcome: 'succeeds' | 'fails' = 'succeeds'): Promise<CliResult> {
  const result = await run.run(args);
  if (outcome === 'succeeds') expect(result.code, describeRun(args, result)).toBe(0);
  else expect(result.code, describeRun(args, result)).toBeGreaterThan(0);
  return result;
}

describe('heroku maintenance against the simulator', () => {
  it(
    'maintenance, maintenance:on, maintenance:off: what the CLI sets, the app reports, to the CLI and to refork',
    { timeout: 240_000 },
    async () => {
      expect((await heroku(cli, ['maintenance', '-a', 'acme-staging'])).stdout.trim()).toBe('off');
      await heroku(cli, ['maintenance:on', '-a', 'acme-staging']);
      expect(sim.app('acme-staging').maintenance).toBe(true);
      expect((await heroku(cli, ['maintenance', '-a', 'acme-staging'])).stdout.trim()).toBe('on');
      const client = createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } });
      expect((await client.getApp('acme-staging'))?.maintenance).toBe(true);
      // Setting it again changes nothing (a value, not a toggle): one change logged.
      await heroku(cli, ['maintenance:on', '-a', 'acme-staging']);
      expect(sim.events.filter((e) => e.type === 'app.updated' && e.app?.name === 'acme-staging')).toHaveLength(1);
      await client.setMaintenance('acme-staging', false);
      expect((await heroku(cli, ['maintenance', '-a', 'acme-staging'])).stdout.trim()).toBe('off');
      const patches = sim.requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((r) => r.body)).toEqual([{ maintenance: true }, { maintenance: true }, { maintenance: false }]);
    },
  );

  it('maintenance:on is refused without the operate permission, as Heroku refuses it', { timeout: 120_000 }, async () => {
    const refused = await heroku(cli, ['maintenance:on', '-a', 'acme-team-app'], 'fails');
    expect(refused.stderr).toMatch(/permission to turn maintenance mode on or off/);
    expect(sim.app('acme-team-app').maintenance).toBe(false);
  });
});

describe('a refresh with maintenance: true, under the heroku CLI’s view', () => {
  let world: World | undefined;
  let worldCli: HerokuCli | undefined;
  afterAll(async () => {
    await worldCli?.dispose();
    await world?.close();
  });

  it(
    'staging reads off after the refresh; an owner’s window set with maintenance:on reads on after the next',
    { timeout: 300_000 },
    async () => {
      world = await createWorld({ maintenance: true, releasePhase: true });
      worldCli = await herokuCli({ apiUrl: world.sim.url, token: WORLD_TOKEN });
      const first = await world.cli(['run', 'staging']);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(world.sim.events.filter((e) => e.type === 'app.updated').map((e) => e.detail?.['maintenance'])).toEqual([true, false]);
      expect((await heroku(worldCli, ['maintenance', '-a', 'acme-staging'])).stdout.trim()).toBe('off');

      await heroku(worldCli, ['maintenance:on', '-a', 'acme-staging']);
      const second = await world.cli(['run', 'staging']);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect((await heroku(worldCli, ['maintenance', '-a', 'acme-staging'])).stdout.trim()).toBe('on');
      const info = await heroku(worldCli, ['pg:info', '-a', 'acme-staging']);
      expect(info.stdout).toMatch(/Add-on:\s+refork-staging-[0-9a-f]{12}/);
    },
  );
});

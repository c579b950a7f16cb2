// The real `heroku` CLI against the simulator's cross-app attachments, billing ownership and
// access lists: a fork made on a private app, attached to staging as DATABASE with
// `addons:attach --as DATABASE` (refused while staging's own database would lose its last
// billing attachment, as Heroku refuses), `pg:info` naming the billing app, and `heroku access`
// listing the same people refork's own reading of the access lists finds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHerokuClient } from '../../src/heroku/client.js';
import type { Simulator } from '../../src/sim/index.js';
import { appAccess } from '../../src/steps/access.js';
import { attachmentsOf as attachmentLines } from '../sim/helpers.js';
import { describeRun, fidelitySimulator, herokuCli, type CliResult, type HerokuCli } from './heroku-cli.js';

const TOKEN = 'fidelity-fork-app-token';
const PROD_DB = 'acme-prod-db';
const OLD_DB = 'acme-staging-db';
const FORK = 'refork-staging-f1de11770000';
const FORK_AS = 'REFORK_F1DE1177';

let sim: Simulator;
let cli: HerokuCli;

beforeAll(async () => {
  sim = await fidelitySimulator(TOKEN);
  sim.createApp('acme-prod');
  sim.createApp('acme-staging');
  sim.createApp('acme-refork');
  await sim.addDatabase('acme-prod', {
    plan: 'heroku-postgresql:standard-0',
    as: 'DATABASE',
    name: PROD_DB,
    seedSql: 'CREATE TABLE t (id int)',
  });
  await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: OLD_DB });
  cli = await herokuCli({ apiUrl: sim.url, token: TOKEN });
});

afterAll(async () => {
  await cli?.dispose();
  await sim?.close();
});

async function heroku(args: string[], outcome: 'succeeds' | 'fails' = 'succeeds'): Promise<CliResult> {
  const result = await cli.run(args);
  if (outcome === 'succeeds') expect(result.code, describeRun(args, result)).toBe(0);
  else expect(result.code, describeRun(args, result)).toBeGreaterThan(0);
  return result;
}

const attachmentsOf = (app: string) => attachmentLines(sim, app);

describe('a fork on a private app, attached across apps, under the heroku CLI', () => {
  it('addons:create on the fork app: billed and attached there, staging untouched', async () => {
    const stagingVars = Object.keys(sim.configVars('acme-staging')).sort();
    await heroku([
      'addons:create',
      'heroku-postgresql:standard-0',
      '--app',
      'acme-refork',
      '--name',
      FORK,
      '--as',
      FORK_AS,
      '--',
      '--fork',
      'acme-prod::DATABASE_URL',
    ]);
    expect(sim.addons('acme-refork').map((a) => a.name)).toEqual([FORK]);
    await sim.advanceDatabase(FORK);
    expect(await sim.advanceDatabase(FORK)).toBe('available');
    expect(attachmentsOf('acme-refork')).toEqual([`${FORK_AS}->${FORK}`]);
    expect(Object.keys(sim.configVars('acme-staging')).sort()).toEqual(stagingVars);
  });

  it('addons:attach --as DATABASE is refused while it would take staging’s own database’s last billing attachment', async () => {
    const args = ['addons:attach', FORK, '--app', 'acme-staging', '--as', 'DATABASE', '--confirm', 'acme-staging'];
    const refused = await heroku(args, 'fails');
    expect(refused.stderr).toMatch(/last billing attachment/);
    expect(sim.configVars('acme-staging')['DATABASE_URL']).toBe(sim.databaseUrl(OLD_DB));
    // An alias first, as pg:promote (and refork) make it; then DATABASE moves across apps.
    await heroku(['addons:attach', OLD_DB, '--app', 'acme-staging']);
    const attached = await heroku(args);
    expect(attached.stderr).toMatch(/Setting DATABASE config vars and restarting acme-staging/);
    expect(sim.configVars('acme-staging')['DATABASE_URL']).toBe(sim.databaseUrl(FORK));
    const database = sim.attachments('acme-staging').find((a) => a.name === 'DATABASE');
    expect(database?.addon).toMatchObject({ name: FORK, app: { name: 'acme-refork' } });
    const releases = sim.events
      .filter((e) => e.type === 'release.created' && e.app?.name === 'acme-staging')
      .map((e) => String(e.detail?.['description']))
      .slice(-2);
    expect(releases).toEqual([`Detach DATABASE (@ref:${OLD_DB})`, `Attach DATABASE (@ref:${FORK})`]);
  });

  it('pg:info on staging names the fork app as the database’s billing app', async () => {
    const result = await heroku(['pg:info', '--app', 'acme-staging']);
    // The DATABASE_URL block comes first; the old database's alias follows, billed to staging itself.
    const [databaseBlock = '', aliasBlock = ''] = result.stdout.split(/^=== /m).filter((block) => block.trim() !== '');
    expect(databaseBlock).toMatch(/^DATABASE_URL/);
    expect(databaseBlock).toMatch(/Billing App:\s+acme-refork/);
    expect(databaseBlock).toMatch(new RegExp(`Add-on:\\s+${FORK}`));
    expect(aliasBlock).toMatch(new RegExp(`Add-on:\\s+${OLD_DB}`));
    expect(aliasBlock).not.toMatch(/Billing App/);
  });

  it('addons:destroy on the fork app takes the database away from staging too (why gc never destroys one in use)', async () => {
    sim.createApp('acme-other');
    await sim.addDatabase('acme-refork', { plan: 'heroku-postgresql:standard-0', name: 'refork-shared-000000000000', as: 'SHARED' });
    sim.attach('refork-shared-000000000000', 'acme-other', 'DATABASE');
    const refused = await heroku(
      ['addons:destroy', 'refork-shared-000000000000', '--app', 'acme-refork', '--confirm', 'acme-refork'],
      'fails',
    );
    expect(refused.stderr).toMatch(/attached to other apps \(acme-other\)/);
    expect(attachmentsOf('acme-other')).toEqual(['DATABASE->refork-shared-000000000000']);
  });
});

describe('heroku access against the simulator, and refork’s reading of the same lists', () => {
  const client = () => createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } });
  const listed = (result: CliResult) =>
    (JSON.parse(result.stdout) as Array<{ user: { email: string }; role?: string; permissions?: Array<{ name: string }> }>)
      .map(
        (entry) =>
          `${entry.user.email} ${entry.role ?? 'collaborator'} ${(entry.permissions ?? [])
            .map((p) => p.name)
            .sort()
            .join(',')}`,
      )
      .filter((line) => !line.includes('@herokumanager.com'))
      .sort();

  it('a personal app: its owner and collaborators', async () => {
    sim.addCollaborator('acme-refork', 'ada@example.com');
    const result = await heroku(['access', '--app', 'acme-refork', '--json']);
    expect(listed(result)).toEqual([`${sim.account} owner `, 'ada@example.com collaborator '].sort());
    const access = await appAccess(client(), 'acme-refork');
    expect(access.grants.map((g) => `${g.email} ${g.via}`).sort()).toEqual([`${sim.account} owner`, 'ada@example.com collaborator'].sort());
    expect(access.gaps).toEqual([]);
  });

  it('a team app: admins with every permission, collaborators with theirs; refork adds the members who may join it', async () => {
    sim.addTeamMember('acme', sim.account, 'admin');
    sim.addTeamMember('acme', 'grace@example.com', 'member');
    sim.addTeamMember('acme', 'linus@example.com', 'member');
    sim.addTeamMember('acme', 'viv@example.com', 'viewer');
    sim.createApp('acme-team-forks', { team: 'acme' });
    sim.addCollaborator('acme-team-forks', 'grace@example.com', ['deploy']);
    sim.addCollaborator('acme-team-forks', 'outsider@example.com', ['operate']);
    const result = await heroku(['access', '--app', 'acme-team-forks', '--json']);
    expect(listed(result)).toEqual(
      [
        `${sim.account} admin deploy,manage,operate,view`,
        'grace@example.com member deploy,view',
        'outsider@example.com collaborator operate,view',
      ].sort(),
    );
    const access = await appAccess(client(), 'acme-team-forks');
    const summary = (email: string) => access.grants.find((g) => g.email === email);
    expect(summary(sim.account)).toMatchObject({
      via: 'team admin',
      permissions: ['deploy', 'manage', 'operate', 'view'],
      reachesData: true,
    });
    expect(summary('grace@example.com')).toMatchObject({ via: 'collaborator', permissions: ['deploy', 'view'], reachesData: true });
    expect(summary('outsider@example.com')).toMatchObject({ via: 'collaborator', permissions: ['operate', 'view'], reachesData: true });
    // Not in `heroku access`, but able to let themselves in: the app is not locked.
    expect(summary('linus@example.com')).toMatchObject({ via: 'team member, may join (app not locked)', reachesData: true });
    expect(summary('viv@example.com')).toMatchObject({ via: 'team member', permissions: ['view'], reachesData: false });
    await heroku(['apps:lock', '--app', 'acme-team-forks']);
    expect((await appAccess(client(), 'acme-team-forks')).grants.find((g) => g.email === 'linus@example.com')).toMatchObject({
      via: 'team member',
      reachesData: false,
    });
  });
});

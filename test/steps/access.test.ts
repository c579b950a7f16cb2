// Reading who can reach an app's data: the comparison the fork-app boundary rests on, who may
// add paid add-ons, and what happens when part of the lists cannot be read.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHerokuClient } from '../../src/heroku/client.js';
import { accessBeyond, appAccess, mayAddPaidAddons, type AppAccess, type Grant } from '../../src/steps/access.js';
import type { Simulator } from '../../src/sim/index.js';
import { TOKEN, startStepsWorld } from './fixture.js';

const grant = (email: string, via: Grant['via'], permissions: Grant['permissions'], reachesData: boolean): Grant => ({
  email,
  via,
  permissions,
  reachesData,
});
const access = (...grants: Grant[]): AppAccess => ({ app: 'x', team: null, grants, gaps: [] });

describe('accessBeyond', () => {
  it('names who reaches the wider app’s data and not the narrower’s, emails compared without case', () => {
    const production = access(
      grant('Ada@Example.com', 'owner', ['deploy', 'manage', 'operate', 'view'], true),
      grant('viv@example.com', 'team member', ['view'], false),
    );
    const fork = access(
      grant('ada@example.com', 'collaborator', ['deploy', 'view'], true),
      grant('viv@example.com', 'collaborator', ['deploy', 'view'], true),
      grant('zed@example.com', 'team member', ['view'], false),
    );
    // Viv may look at production, not at its data; zed may look at nothing that matters.
    expect(accessBeyond(fork, production).map((g) => g.email)).toEqual(['viv@example.com']);
  });
});

describe('mayAddPaidAddons', () => {
  it('needs manage: an owner or admin yes, a personal collaborator no, a team that lists no permissions cannot tell', () => {
    const owner = grant('o@example.com', 'owner', ['deploy', 'manage', 'operate', 'view'], true);
    const personal = grant('p@example.com', 'collaborator', ['deploy', 'operate', 'view'], true);
    const unlisted = grant('u@example.com', 'collaborator', [], true);
    const member = grant('m@example.com', 'team member, may join (app not locked)', ['view'], true);
    const app = access(owner, personal, unlisted, member);
    expect(['o', 'p', 'u', 'm', 'nobody'].map((who) => mayAddPaidAddons(app, `${who}@example.com`))).toEqual([
      true,
      false,
      'unknown',
      false,
      false,
    ]);
  });
});

describe('appAccess', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = (await startStepsWorld()).sim;
  });
  afterEach(async () => {
    await sim.close();
  });
  const client = () => createHerokuClient({ token: TOKEN, apiUrl: sim.url, dataApiUrl: sim.url, retry: { baseDelayMs: 1 } });

  it('reports what it could not read: a team the token is no member of hides its members (and its admins)', async () => {
    sim.addTeamMember('acme', 'boss@example.com', 'admin');
    sim.createApp('acme-shared', { team: 'acme' });
    sim.addCollaborator('acme-shared', sim.account, ['deploy']);
    const read = await appAccess(client(), 'acme-shared');
    expect(read.grants.map((g) => g.email)).toEqual([sim.account]);
    expect(read.gaps).toEqual(['cannot read the members of team acme (403)']);
  });

  it('refuses an app that does not exist with one line naming it', async () => {
    await expect(appAccess(client(), 'acme-nowhere')).rejects.toThrow(/app acme-nowhere does not exist/);
  });
});

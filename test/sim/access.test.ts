// Who may do what in the simulator, as Heroku documents it: owners, collaborators, teams,
// members and app permissions (who sees an app, its config vars, who adds paid add-ons), the
// lists `heroku access` reads, and add-ons billed to one app and attached to another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture, type Simulator } from '../../src/sim/index.js';
import { api, settled, startSim, uniqueName, type AttachmentBody, type ErrorBody } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});

const PLAN = 'heroku-postgresql:standard-0';
const createAddon = (app: string) =>
  api<ErrorBody & { name: string }>(sim, 'POST', `/apps/${app}/addons`, { plan: PLAN, attachment: { name: 'EXTRA' } });

interface CollaboratorBody {
  role: string;
  user: { email: string };
  permissions?: Array<{ name: string }>;
}

describe('personal apps', () => {
  it('shows its owner, lists the owner and collaborators, and hides it from everyone else (403)', async () => {
    const mine = uniqueName('mine');
    sim.createApp(mine);
    sim.addCollaborator(mine, 'ada@example.com');
    const info = await api<{ owner: { email: string }; team: unknown }>(sim, 'GET', `/apps/${mine}`);
    expect(info.body).toMatchObject({ owner: { email: sim.account }, team: null });
    const listed = await api<CollaboratorBody[]>(sim, 'GET', `/apps/${mine}/collaborators`);
    expect(listed.body.map((c) => `${c.user.email} ${c.role}`)).toEqual([`${sim.account} owner`, 'ada@example.com collaborator']);

    const theirs = uniqueName('theirs');
    sim.createApp(theirs, { owner: 'grace@example.com' });
    for (const path of [`/apps/${theirs}`, `/apps/${theirs}/config-vars`, `/apps/${theirs}/addons`, `/apps/${theirs}/collaborators`]) {
      const answer = await api<ErrorBody>(sim, 'GET', path);
      expect([path, answer.status, answer.body.id]).toEqual([path, 403, 'forbidden']);
    }
  });

  it('lets a collaborator read config vars but not add or remove paid add-ons', async () => {
    const theirs = uniqueName('theirs');
    sim.createApp(theirs, { owner: 'grace@example.com' });
    await sim.addDatabase(theirs, { plan: PLAN, as: 'DATABASE', name: `${theirs}-db` });
    sim.addCollaborator(theirs, sim.account);
    expect((await api(sim, 'GET', `/apps/${theirs}/config-vars`)).status).toBe(200);
    const refused = await createAddon(theirs);
    expect([refused.status, refused.body.id]).toEqual([403, 'forbidden']);
    expect(refused.body.message).toMatch(/add paid add-ons/);
    expect(sim.addons(theirs)).toHaveLength(1);
    const destroy = await api<ErrorBody>(sim, 'DELETE', `/apps/${theirs}/addons/${theirs}-db`);
    expect(destroy.status).toBe(403);
    expect(sim.addons(theirs)).toHaveLength(1);
  });
});

describe('team apps', () => {
  it('grants admins everything, members view, collaborators what the app gives them', async () => {
    const team = uniqueName('team');
    const app = uniqueName('tapp');
    sim.addTeamMember(team, sim.account, 'member');
    sim.createApp(app, { team });
    const info = await api<{ owner: { email: string }; team: { name: string } }>(sim, 'GET', `/apps/${app}`);
    expect(info.body).toMatchObject({ owner: { email: `${team}@herokumanager.com` }, team: { name: team } });
    // A member holds `view`: the app, not its config vars, not paid add-ons.
    expect((await api(sim, 'GET', `/apps/${app}`)).status).toBe(200);
    expect((await api(sim, 'GET', `/apps/${app}/config-vars`)).status).toBe(403);
    sim.addCollaborator(app, sim.account, ['deploy']);
    expect((await api(sim, 'GET', `/apps/${app}/config-vars`)).status).toBe(200);
    expect((await createAddon(app)).status).toBe(403);
    sim.addCollaborator(app, sim.account, ['deploy', 'manage']);
    const created = await createAddon(app);
    expect(created.status).toBe(202);
    await settled(sim, app, created.body.name);
    const listed = await api<CollaboratorBody[]>(sim, 'GET', `/apps/${app}/collaborators`);
    expect(listed.body.map((c) => [c.user.email, c.role, (c.permissions ?? []).map((p) => p.name)])).toEqual([
      [sim.account, 'member', ['deploy', 'manage', 'view']],
    ]);
    sim.addTeamMember(team, sim.account, 'admin');
    const other = uniqueName('tapp');
    sim.createApp(other, { team });
    expect((await createAddon(other)).status).toBe(202);
  });

  it('lists its members (ranged by email) to members only, its permissions, and its lock', async () => {
    const team = uniqueName('team');
    const app = uniqueName('tapp');
    sim.addTeamMember(team, 'zoe@example.com', 'viewer');
    sim.addTeamMember(team, sim.account, 'admin');
    sim.addTeamMember(team, 'ada@example.com', 'member');
    sim.createApp(app, { team });
    const members = await api<Array<{ email: string; role: string }>>(sim, 'GET', `/teams/${team}/members`, undefined, {
      Range: 'email ..; max=2',
    });
    expect(members.status).toBe(206);
    expect(members.body.map((m) => `${m.email} ${m.role}`)).toEqual(['ada@example.com member', `${sim.account} admin`]);
    const permissions = await api<Array<{ name: string }>>(sim, 'GET', '/teams/permissions');
    expect(permissions.body.map((p) => p.name)).toEqual(['deploy', 'manage', 'operate', 'view']);
    expect((await api<{ locked: boolean }>(sim, 'GET', `/teams/apps/${app}`)).body.locked).toBe(false);
    expect((await api<{ locked: boolean }>(sim, 'PATCH', `/teams/apps/${app}`, { locked: true })).body.locked).toBe(true);

    const strangers = uniqueName('team');
    sim.addTeamMember(strangers, 'ada@example.com', 'admin');
    expect((await api(sim, 'GET', `/teams/${strangers}/members`)).status).toBe(403);
    expect((await api(sim, 'GET', `/teams/${uniqueName('none')}/members`)).status).toBe(404);
  });
});

describe('add-ons attached across apps', () => {
  it('bills the owner, sets the other app’s config var with a release, and refuses to destroy one another app uses', async () => {
    const owner = uniqueName('forks');
    const target = uniqueName('stg');
    sim.createApp(owner);
    sim.createApp(target);
    const addon = await sim.addDatabase(owner, { plan: PLAN, as: 'REFORK_X', name: `${owner}-db` });
    const attached = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', { addon: addon.name, app: target, name: 'DATABASE' });
    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ name: 'DATABASE', app: { name: target }, addon: { name: addon.name, app: { name: owner } } });
    expect(sim.configVars(target)['DATABASE_URL']).toBe(sim.databaseUrl(addon.id));
    const releases = sim.events.filter((e) => e.type === 'release.created' && e.app?.name === target).map((e) => e.detail?.['description']);
    expect(releases.at(-1)).toBe(`Attach DATABASE (@ref:${addon.name})`);
    // Not the owner's billing attachment: it may go, and come back.
    expect((await api(sim, 'DELETE', `/addon-attachments/${attached.body.id}`)).status).toBe(200);
    const again = await api<AttachmentBody>(sim, 'POST', '/addon-attachments', { addon: addon.name, app: target, name: 'DATABASE' });
    const destroy = await api<ErrorBody>(sim, 'DELETE', `/apps/${owner}/addons/${addon.id}`);
    expect([destroy.status, destroy.body.message]).toEqual([422, expect.stringMatching(/attached to other apps/)]);
    expect((await api(sim, 'DELETE', `/addon-attachments/${again.body.id}`)).status).toBe(200);
    expect((await api(sim, 'DELETE', `/apps/${owner}/addons/${addon.id}`)).status).toBe(202);
  });

  it('will not attach to an app whose config the token may not edit', async () => {
    const owner = uniqueName('forks');
    const target = uniqueName('stg');
    sim.createApp(owner);
    sim.createApp(target, { owner: 'grace@example.com' });
    const addon = await sim.addDatabase(owner, { plan: PLAN, as: 'REFORK_Y', name: `${owner}-db` });
    const refused = await api<ErrorBody>(sim, 'POST', '/addon-attachments', { addon: addon.name, app: target, name: 'DATABASE' });
    expect([refused.status, refused.body.id]).toEqual([403, 'forbidden']);
  });
});

describe('fixtures', () => {
  it('seed teams, owners, locks and collaborators', async () => {
    const team = uniqueName('team');
    const app = uniqueName('tapp');
    const personal = uniqueName('papp');
    await loadFixture(sim, {
      teams: [
        {
          name: team,
          members: [
            { email: sim.account, role: 'admin' },
            { email: 'ada@example.com', role: 'member' },
          ],
        },
      ],
      apps: [
        { name: app, team, locked: true, collaborators: [{ email: 'grace@example.com', permissions: ['deploy'] }] },
        { name: personal, owner: 'linus@example.com', collaborators: [{ email: sim.account }] },
      ],
    });
    expect((await api<{ locked: boolean }>(sim, 'GET', `/teams/apps/${app}`)).body.locked).toBe(true);
    const listed = await api<CollaboratorBody[]>(sim, 'GET', `/apps/${app}/collaborators`);
    expect(listed.body.map((c) => `${c.user.email} ${c.role}`)).toEqual(['grace@example.com collaborator']);
    const owner = await api<{ owner: { email: string } }>(sim, 'GET', `/apps/${personal}`);
    expect(owner.body.owner.email).toBe('linus@example.com');
  });
});

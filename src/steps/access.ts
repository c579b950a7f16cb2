// Who can reach an app's data, read as `heroku access` reads it (docs/fork-app.md "Who can
// reach an app"): a personal app's owner and collaborators; on a team app, every team admin,
// each collaborator with the permissions the app grants them, and, while the app is not
// locked, every team member (who may join it at will). Only `deploy`, `operate` and `manage`
// reach data (config vars, one-off dynos); `view` alone does not.
import { HerokuApiError, type App, type Collaborator, type HerokuApi, type RequestOptions } from '../heroku/types.js';
import { StepError } from './types.js';

export type Permission = 'view' | 'deploy' | 'operate' | 'manage';
const ALL: Permission[] = ['deploy', 'manage', 'operate', 'view'];
/** Personal-app collaborators may do all an owner may, but add or remove paid add-ons. */
const PERSONAL_COLLABORATOR: Permission[] = ['deploy', 'operate', 'view'];
const DATA: ReadonlySet<Permission> = new Set(['deploy', 'operate', 'manage']);

export interface Grant {
  email: string;
  /** How the access is held, as a person would say it. */
  via: 'owner' | 'collaborator' | 'team admin' | 'team member' | typeof MAY_JOIN;
  /** Empty when Heroku lists none: a team without fine-grained permissions (counted as reaching data). */
  permissions: Permission[];
  /** Config vars or a console: the data itself. */
  reachesData: boolean;
}

export interface AppAccess {
  app: string;
  team: string | null;
  grants: Grant[];
  /** What could not be read (the list may then miss people); empty when the list is whole. */
  gaps: string[];
}

const MAY_JOIN = 'team member, may join (app not locked)';

/** Some of these are team members who may join the app at will: locking it shuts them out. */
export function lockingHelps(grants: Grant[]): boolean {
  return grants.some((g) => g.via === MAY_JOIN);
}

const isTeamOwner = (email: string | undefined) => email?.endsWith('@herokumanager.com') === true;
const key = (email: string) => email.toLowerCase();

function grant(email: string, via: Grant['via'], permissions: Permission[], reachesData?: boolean): Grant {
  return { email, via, permissions, reachesData: reachesData ?? permissions.some((permission) => DATA.has(permission)) };
}

function permissionsOf(collaborator: Collaborator): Permission[] | null {
  const names = (collaborator.permissions ?? [])
    .map((permission) => permission.name)
    .filter((name): name is Permission => ALL.includes(name as Permission));
  return names.length > 0 ? names.sort() : null;
}

/** Reads who can access `appName`; throws when the app itself cannot be read. */
export async function appAccess(heroku: HerokuApi, appName: string, options: RequestOptions = {}): Promise<AppAccess> {
  const app = await heroku.getApp(appName, options);
  if (!app) throw new StepError(`app ${appName} does not exist (or the token cannot see it): check refork.yml`, 'app_missing');
  const team = app.team?.name ?? null;
  const collaborators = await heroku.listCollaborators(appName, options);
  return team === null ? personalAccess(app, collaborators) : teamAccess(heroku, app, team, collaborators, options);
}

function personalAccess(app: App, collaborators: Collaborator[]): AppAccess {
  const grants = new Map<string, Grant>();
  const owner = app.owner?.email;
  if (owner) grants.set(key(owner), grant(owner, 'owner', ALL));
  for (const entry of collaborators) {
    const email = entry.user.email;
    if (!email || grants.has(key(email))) continue;
    grants.set(key(email), entry.role === 'owner' ? grant(email, 'owner', ALL) : grant(email, 'collaborator', PERSONAL_COLLABORATOR));
  }
  return { app: app.name ?? '', team: null, grants: [...grants.values()], gaps: [] };
}

async function teamAccess(
  heroku: HerokuApi,
  app: App,
  team: string,
  collaborators: Collaborator[],
  options: RequestOptions,
): Promise<AppAccess> {
  const gaps: string[] = [];
  const members = await readable(() => heroku.listTeamMembers(team, options), `the members of team ${team}`, gaps);
  const locked = await readable(
    async () => (await heroku.getTeamApp(app.name ?? '', options)).locked === true,
    `whether ${app.name ?? ''} is locked`,
    gaps,
  );
  const grants = new Map<string, Grant>();
  for (const member of members ?? []) if (member.role === 'admin') grants.set(key(member.email), grant(member.email, 'team admin', ALL));
  for (const entry of collaborators) {
    const email = entry.user.email;
    if (!email || isTeamOwner(email) || grants.has(key(email))) continue;
    // A team without fine-grained permissions lists none: count such a collaborator as reaching data.
    const permissions = permissionsOf(entry);
    grants.set(key(email), permissions ? grant(email, 'collaborator', permissions) : grant(email, 'collaborator', [], true));
  }
  for (const member of members ?? []) {
    if (grants.has(key(member.email)) || member.role === 'collaborator') continue;
    // An unknown lock state counts as unlocked: the list errs on the side of more people.
    const mayJoin = member.role === 'member' && locked !== true;
    grants.set(key(member.email), mayJoin ? grant(member.email, MAY_JOIN, ['view'], true) : grant(member.email, 'team member', ['view']));
  }
  return { app: app.name ?? '', team, grants: [...grants.values()], gaps };
}

/** A 403 (the token may not list this) becomes a gap in the answer; anything else is an error. */
async function readable<T>(read: () => Promise<T>, what: string, gaps: string[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof HerokuApiError && (error.status === 403 || error.status === 404))) throw error;
    gaps.push(`cannot read ${what} (${error.status})`);
    return undefined;
  }
}

/** People who reach `wider`'s data but not `narrower`'s. */
export function accessBeyond(wider: AppAccess, narrower: AppAccess): Grant[] {
  const inside = new Set(narrower.grants.filter((g) => g.reachesData).map((g) => key(g.email)));
  return wider.grants.filter((g) => g.reachesData && !inside.has(key(g.email)));
}

/**
 * Every Heroku Postgres plan is paid; adding one takes ownership, team admin or `manage`. A
 * team that lists no permissions cannot tell: `unknown` (Heroku's answer to the create decides).
 */
export function mayAddPaidAddons(access: AppAccess, email: string): boolean | 'unknown' {
  const held = access.grants.find((g) => key(g.email) === key(email));
  if (!held) return false;
  if (held.permissions.includes('manage')) return true;
  return held.via === 'collaborator' && held.permissions.length === 0 ? 'unknown' : false;
}

export function describeGrants(grants: Grant[]): string {
  if (grants.length === 0) return 'nobody';
  return grants
    .map((g) => `${g.email} (${g.via}${g.via === 'collaborator' && g.permissions.length > 0 ? `: ${g.permissions.join(', ')}` : ''})`)
    .join(', ');
}

// Who may do what on an app, as Heroku documents it (docs/fork-app.md "Who can reach an app"):
// a personal app's owner may do everything and its collaborators everything but paid add-ons;
// on a team app, admins hold every permission, everyone else what their collaborator record on
// the app grants, and team members `view` every team app. The API's single token acts as one
// account (ACCOUNT in render.ts); the admin surface and seeding are not subject to this.
import { SimError } from './errors.js';
import type { AppRecord, SimState } from './state.js';

/** Heroku's app permissions (`GET /teams/permissions`). */
export const PERMISSIONS = ['deploy', 'manage', 'operate', 'view'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  deploy: 'Can push code, view and edit config vars, run one-off dynos and roll back releases.',
  manage: 'Can manage add-ons (paid ones too), collaborators and permissions, rename, transfer and delete the app.',
  operate: 'Can scale and restart dynos, run one-off dynos, turn maintenance mode on and off.',
  view: 'Can see basic information about the app, its access list, activity and dynos.',
};

export const TEAM_ROLES = ['admin', 'member', 'viewer', 'collaborator'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** Personal-app collaborators: "any action an owner can, except paid add-ons, delete, transfer, rename". */
const PERSONAL_COLLABORATOR: readonly Permission[] = ['deploy', 'operate', 'view'];

/** The owner email Heroku reports for a team app (the CLI's `team-utils` recognises it). */
export function teamOwnerEmail(team: string): string {
  return `${team}@herokumanager.com`;
}

export function permissionsOf(state: SimState, app: AppRecord, email: string): Set<Permission> {
  const who = email.toLowerCase();
  const collaborator = state.collaboratorsOf(app).find((entry) => entry.email.toLowerCase() === who);
  if (app.team === null) {
    if (app.ownerEmail.toLowerCase() === who) return new Set(PERMISSIONS);
    return new Set(collaborator ? PERSONAL_COLLABORATOR : []);
  }
  const member = state.teamNamed(app.team)?.members.find((entry) => entry.email.toLowerCase() === who);
  if (member?.role === 'admin') return new Set(PERMISSIONS);
  const granted = new Set<Permission>(collaborator?.permissions ?? []);
  // Enterprise Teams: "all team members have the view permission for all of the team's apps".
  if (collaborator || member?.role === 'member' || member?.role === 'viewer') granted.add('view');
  return granted;
}

/** 403 `forbidden` unless `email` holds one of `needed` on the app (the wording is the simulator's). */
export function requirePermission(state: SimState, app: AppRecord, email: string, needed: readonly Permission[], doing: string): void {
  const held = permissionsOf(state, app, email);
  if (needed.some((permission) => held.has(permission))) return;
  const message =
    held.size === 0
      ? `You do not have access to the app ${app.name}.`
      : `You do not have permission to ${doing} on ${app.name} (it needs ${needed.join(' or ')}).`;
  throw new SimError(403, 'forbidden', message);
}

/** Config vars hold secrets: `deploy` or `manage` shows them (app permissions matrix). */
export const CONFIG_PERMISSIONS: readonly Permission[] = ['deploy', 'manage'];
/** Every Heroku Postgres plan is paid: adding or removing one takes `manage`. */
export const PAID_ADDON_PERMISSIONS: readonly Permission[] = ['manage'];
/** Maintenance mode is `operate`'s (app permissions matrix: "turn maintenance mode on and off"). */
export const MAINTENANCE_PERMISSIONS: readonly Permission[] = ['operate'];
export const ANY_PERMISSION: readonly Permission[] = PERMISSIONS;

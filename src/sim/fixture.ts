// Seeding from a JSON/YAML-shaped fixture, for `refork sim --fixture` and the demo:
// { teams: [{ name, members: [{ email, role }] }],
//   apps: [{ name, releasePhase?, owner? | team?, locked?, collaborators: [{ email, permissions? }],
//            databases: [{ as?, plan?, name?, fromDatabase?, seedSql?, follower? }],
//            attachments: [{ addon, as, namespace? }] }] }
// Teams first, then apps and their collaborators, then every database, then shared attachments
// (which may name an add-on of another app).
import { z } from 'zod';
import { PERMISSIONS, TEAM_ROLES } from './access.js';
import type { SimAddon, SimApp, SimAttachment, Simulator } from './types.js';

const databaseSchema = z.object({
  as: z.string().optional(),
  plan: z.string().optional(),
  name: z.string().optional(),
  fromDatabase: z.string().optional(),
  seedSql: z.string().optional(),
  follower: z.boolean().optional(),
});

// Shared with the /__sim/ admin routes, which take the same shapes one at a time.
export const permissionSchema = z.enum(PERMISSIONS);
export const teamRoleSchema = z.enum(TEAM_ROLES);
/** An app and who owns it: `createApp`'s name and options. */
export const appOptionsSchema = z.object({
  name: z.string(),
  releasePhase: z.boolean().optional(),
  owner: z.string().optional(),
  team: z.string().optional(),
  locked: z.boolean().optional(),
  maintenance: z.boolean().optional(),
});
export const collaboratorSchema = z.object({ email: z.string(), permissions: z.array(permissionSchema).optional() });
export const teamMemberSchema = z.object({ email: z.string(), role: teamRoleSchema });

const appSchema = appOptionsSchema.extend({
  collaborators: z.array(collaboratorSchema).optional(),
  databases: z.array(databaseSchema).optional(),
  attachments: z.array(z.object({ addon: z.string(), as: z.string(), namespace: z.string().nullable().optional() })).optional(),
});

const teamSchema = z.object({ name: z.string(), members: z.array(teamMemberSchema).optional() });

export const fixtureSchema = z.object({ teams: z.array(teamSchema).optional(), apps: z.array(appSchema) });
export type Fixture = z.infer<typeof fixtureSchema>;

export interface LoadedFixture {
  apps: SimApp[];
  addons: SimAddon[];
  attachments: SimAttachment[];
}

export class FixtureError extends Error {
  override readonly name = 'FixtureError';
}

export function parseFixture(value: unknown): Fixture {
  const parsed = fixtureSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new FixtureError(`Invalid simulator fixture${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}

export async function loadFixture(
  sim: Pick<Simulator, 'createApp' | 'addDatabase' | 'attach' | 'addCollaborator' | 'addTeamMember'>,
  value: unknown,
): Promise<LoadedFixture> {
  const fixture = parseFixture(value);
  const loaded: LoadedFixture = { apps: [], addons: [], attachments: [] };
  for (const team of fixture.teams ?? []) for (const member of team.members ?? []) sim.addTeamMember(team.name, member.email, member.role);
  for (const { name, databases: _databases, attachments: _attachments, collaborators, ...options } of fixture.apps) {
    loaded.apps.push(sim.createApp(name, options));
    for (const collaborator of collaborators ?? []) sim.addCollaborator(name, collaborator.email, collaborator.permissions);
  }
  for (const app of fixture.apps) {
    for (const database of app.databases ?? []) loaded.addons.push(await sim.addDatabase(app.name, database));
  }
  for (const app of fixture.apps) {
    for (const attachment of app.attachments ?? []) {
      loaded.attachments.push(sim.attach(attachment.addon, app.name, attachment.as, attachment.namespace ?? null));
    }
  }
  return loaded;
}

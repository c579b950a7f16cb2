// The /__sim/ admin surface (loopback only, no token): lets another process (`refork sim`, the
// demo) seed apps and databases, inject faults and read the ground-truth logs.
import { z } from 'zod';
import type { SimCore } from '../core.js';
import { invalidParams } from '../errors.js';
import { reply, type RequestContext } from '../http.js';
import { appOptionsSchema, collaboratorSchema, loadFixture, teamMemberSchema } from '../fixture.js';
import { Router } from '../router.js';
import type { FaultKind, Simulator } from '../types.js';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidParams(`${issue ? issue.path.join('.') || 'body' : 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const collaboratorBody = collaboratorSchema.extend({ app: z.string() });
const teamMemberBody = teamMemberSchema.extend({ team: z.string() });
const databaseBody = z.object({
  app: z.string(),
  plan: z.string().optional(),
  as: z.string().optional(),
  name: z.string().optional(),
  fromDatabase: z.string().optional(),
  follower: z.boolean().optional(),
  seedSql: z.string().optional(),
});
const attachmentBody = z.object({ addon: z.string(), app: z.string(), name: z.string(), namespace: z.string().nullable().optional() });
const faultKind = z.union([
  z.literal('timeout'),
  z.literal('drop'),
  z.literal('applyThenDrop'),
  z.object({
    status: z.number().int(),
    id: z.string().optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().optional(),
  }),
]);
/** RegExp cannot travel in JSON: `pathPattern` is its source. */
const faultBody = z.object({
  method: z.string().optional(),
  path: z.string().optional(),
  pathPattern: z.string().optional(),
  times: z.number().int().positive().optional(),
  kind: faultKind,
});
const messageBody = z.object({ message: z.string().optional() });

export function adminRoutes(core: SimCore, sim: Simulator): Router {
  const { state } = core;
  const since = (context: RequestContext) => Number(context.query.get('since') ?? '0') || 0;

  return (
    new Router()
      .on('GET', '/__sim/state', () =>
        reply(200, {
          apps: [...state.apps.values()].map((app) => ({
            ...state.toSimApp(app),
            configVarNames: [...state.configOf(app).keys()],
            attachments: state.attachmentsOfApp(app).map((attachment) => state.toSimAttachment(attachment)),
            releases: state.releasesOf(app).map(({ version, description, status }) => ({ version, description, status })),
          })),
          addons: [...state.addons.values()].map((addon) => state.toSimAddon(addon)),
          faults: core.faults.pending(),
          rateLimitRemaining: core.rateLimiter.remaining(),
        }),
      )
      .on('GET', '/__sim/events', (context) => reply(200, core.events.since(since(context))))
      .on('GET', '/__sim/requests', () => reply(200, core.requests))
      .on('POST', '/__sim/apps', (context) => {
        const { name, ...options } = parse(appOptionsSchema, context.body);
        return reply(201, sim.createApp(name, options));
      })
      .on('POST', '/__sim/collaborators', (context) => {
        const body = parse(collaboratorBody, context.body);
        sim.addCollaborator(body.app, body.email, body.permissions);
        return reply(201, {});
      })
      .on('POST', '/__sim/team-members', (context) => {
        const body = parse(teamMemberBody, context.body);
        sim.addTeamMember(body.team, body.email, body.role);
        return reply(201, {});
      })
      .on('POST', '/__sim/databases', async (context) => {
        const { app, ...options } = parse(databaseBody, context.body);
        return reply(201, await sim.addDatabase(app, options));
      })
      .on('POST', '/__sim/attachments', (context) => {
        const body = parse(attachmentBody, context.body);
        return reply(201, sim.attach(body.addon, body.app, body.name, body.namespace ?? null));
      })
      .on('GET', '/__sim/faults', () => reply(200, core.faults.pending()))
      .on('POST', '/__sim/faults', (context) => {
        const body = parse(faultBody, context.body);
        const path = body.pathPattern !== undefined ? new RegExp(body.pathPattern) : body.path;
        if (path === undefined) throw invalidParams('path or pathPattern is required');
        const kind: FaultKind = body.kind;
        sim.faults.add({
          path,
          kind,
          ...(body.method === undefined ? {} : { method: body.method }),
          ...(body.times === undefined ? {} : { times: body.times }),
        });
        return reply(201, core.faults.pending());
      })
      .on('DELETE', '/__sim/faults', () => {
        sim.faults.clear();
        return reply(200, []);
      })
      .on('POST', '/__sim/fail-next-fork', (context) => {
        const body = parse(messageBody, context.body);
        sim.failNextFork(body.message === undefined ? {} : { message: body.message });
        return reply(202, {});
      })
      .on('POST', '/__sim/fail-next-release', () => {
        sim.failNextRelease();
        return reply(202, {});
      })
      .on('POST', '/__sim/fixture', async (context) => reply(201, await loadFixture(sim, context.body)))
      // Secrets on purpose: the demo connects to databases; loopback only, never logged.
      .on('GET', '/__sim/addons/:addon/url', (context) => reply(200, { url: sim.databaseUrl(context.params['addon'] ?? '') }))
  );
}

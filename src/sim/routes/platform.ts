// Platform API routes (api.heroku.com): add-ons, attachments, config vars, formation, releases,
// account and the resolvers the heroku CLI uses (docs/heroku-api.md); who may call them: access.ts.
import {
  ANY_PERMISSION,
  CONFIG_PERMISSIONS,
  MAINTENANCE_PERMISSIONS,
  PAID_ADDON_PERMISSIONS,
  requirePermission,
  type Permission,
} from '../access.js';
import type { SimCore } from '../core.js';
import { invalidParams, notFound, SimError } from '../errors.js';
import { header, reply, type Reply, type RequestContext } from '../http.js';
import { addonConfig, identity, nested, objectBody, optionalNullableString, optionalString, requiredIdentity } from '../params.js';
import { paginate, parseRange } from '../range.js';
import { ACCOUNT, type Expansions, type Inclusions, type Renderer } from '../render.js';
import { Router } from '../router.js';
import type { AddonRecord, AppRecord, AttachmentRecord } from '../state.js';
import { SERVICE } from '../plans.js';

function param(context: RequestContext, name: string): string {
  return context.params[name] ?? '';
}

function inclusions(context: RequestContext): Inclusions {
  const wanted = (header(context.headers, 'accept-inclusion') ?? '').split(',').map((part) => part.trim());
  return { addonPlan: wanted.includes('addon:plan'), configVars: wanted.includes('config_vars') };
}

function expansions(context: RequestContext): Expansions {
  const wanted = (header(context.headers, 'accept-expansion') ?? '').split(',').map((part) => part.trim());
  return { addonService: wanted.includes('addon_service'), plan: wanted.includes('plan') };
}

function listed<T>(
  context: RequestContext,
  items: T[],
  fields: string[],
  valueOf: (item: T, field: string) => string | number,
  render: (item: T) => unknown,
): Reply {
  const page = paginate(items, parseRange(header(context.headers, 'range'), fields), valueOf);
  return reply(page.status, page.items.map(render), page.headers);
}

const byIdOrName = (record: { id: string; name: string }, field: string) => (field === 'name' ? record.name : record.id);

export function platformRoutes(core: SimCore, render: Renderer): Router {
  const { state, lifecycle, attachments } = core;
  // The token's account must hold a permission on every app it touches (access.ts).
  const permitted = (target: AppRecord, needed: readonly Permission[], doing: string): AppRecord => {
    requirePermission(state, target, ACCOUNT.email, needed, doing);
    return target;
  };
  const visible = (target: AppRecord): AppRecord => permitted(target, ANY_PERMISSION, 'see it');
  const app = (context: RequestContext): AppRecord => visible(state.app(param(context, 'app')));
  const teamApp = (context: RequestContext): AppRecord => {
    const owner = app(context);
    if (owner.team === null) throw notFound('app');
    return owner;
  };
  /** `heroku apps:lock` / `apps:unlock`: team members may not join a locked app on their own. */
  const lock = (context: RequestContext): AppRecord => {
    const owner = permitted(teamApp(context), ['manage'], 'lock or unlock it');
    const locked = objectBody(context.body)['locked'];
    if (typeof locked !== 'boolean') throw invalidParams('locked must be true or false.');
    owner.locked = locked;
    return owner;
  };
  /** `heroku maintenance:on` / `off`: only `maintenance` of the schema's updatable fields is simulated. */
  const update = (context: RequestContext): AppRecord => {
    const body = objectBody(context.body);
    const other = Object.keys(body).filter((key) => key !== 'maintenance');
    if (other.length > 0) throw invalidParams(`The simulator updates only maintenance, not ${other.join(', ')}.`);
    const maintenance = body['maintenance'];
    if (maintenance === undefined) return app(context);
    if (typeof maintenance !== 'boolean') throw invalidParams('maintenance must be true or false.');
    return core.setMaintenance(permitted(app(context), MAINTENANCE_PERMISSIONS, 'turn maintenance mode on or off'), maintenance);
  };
  const ownerOf = (addon: AddonRecord): AddonRecord => {
    visible(state.appOf(addon));
    return addon;
  };
  const canSee = (target: AppRecord) => {
    try {
      visible(target);
      return true;
    } catch {
      return false;
    }
  };

  /** `GET /apps/{app}/addon-attachments/{id-or-name}`: a name prefers the default namespace (docs/heroku-api.md#attachments). */
  const attachmentOnApp = (owner: AppRecord, idOrName: string): AttachmentRecord => {
    const onApp = state.attachmentsOfApp(owner);
    const found =
      onApp.find((attachment) => attachment.id === idOrName) ??
      onApp.find((attachment) => attachment.name === idOrName && attachment.namespace === null) ??
      onApp.find((attachment) => attachment.name === idOrName);
    if (!found) throw notFound('add_on attachment');
    return found;
  };

  const visibleAttachment = (attachment: AttachmentRecord): AttachmentRecord => {
    visible(state.app(attachment.appId));
    return attachment;
  };

  const attachmentList = (context: RequestContext, list: AttachmentRecord[]) => {
    const include = inclusions(context);
    return listed(context, list, ['id', 'name'], byIdOrName, (attachment) => render.attachment(attachment, include));
  };

  const addonList = (context: RequestContext, list: AddonRecord[]) => {
    const expand = expansions(context);
    return listed(context, list, ['id', 'name'], byIdOrName, (addon) => render.addon(addon, expand));
  };

  return new Router()
    .on('GET', '/account', () => reply(200, render.account()))
    .on('GET', '/apps/:app', (context) => reply(200, render.app(app(context))))
    .on('PATCH', '/apps/:app', (context) => reply(200, render.app(update(context))))
    .on('GET', '/apps/:app/collaborators', (context) => reply(200, render.collaborators(app(context))))
    .on('GET', '/teams/permissions', () =>
      reply(
        200,
        ANY_PERMISSION.map((name) => render.permission(name)),
      ),
    )
    .on('GET', '/teams/apps/:app', (context) => reply(200, render.teamApp(teamApp(context), ACCOUNT.email)))
    .on('PATCH', '/teams/apps/:app', (context) => reply(200, render.teamApp(lock(context), ACCOUNT.email)))
    .on('GET', '/teams/:team/members', (context) => {
      const team = state.teamNamed(param(context, 'team'));
      if (!team) throw new SimError(404, 'not_found', "Couldn't find that team.", 'team');
      if (!team.members.some((member) => member.email.toLowerCase() === ACCOUNT.email.toLowerCase())) {
        throw new SimError(403, 'forbidden', `You do not have access to the team ${team.name}.`);
      }
      return listed(
        context,
        team.members,
        ['email'],
        (member) => member.email,
        (member) => render.teamMember(member),
      );
    })
    .on('GET', '/addons', (context) =>
      addonList(
        context,
        [...state.addons.values()].filter((addon) => canSee(state.appOf(addon))),
      ),
    )
    .on('GET', '/apps/:app/addons', (context) => addonList(context, state.addonsOfApp(app(context))))
    .on('POST', '/apps/:app/addons', (context) => {
      const owner = permitted(app(context), PAID_ADDON_PERMISSIONS, 'add paid add-ons');
      const body = objectBody(context.body);
      const name = optionalString(body, 'name');
      const attachmentName = optionalString(nested(body, 'attachment'), 'name');
      const confirm = optionalString(body, 'confirm');
      // A top-level `fork` is not add-on config: it is ignored and an empty database is made (docs/heroku-api.md#creating-the-fork).
      const addon = lifecycle.createAddon({
        app: owner,
        plan: requiredIdentity(body, 'plan'),
        config: addonConfig(body),
        ...(name === undefined ? {} : { name }),
        ...(attachmentName === undefined ? {} : { attachmentName }),
        ...(confirm === undefined ? {} : { confirm }),
      });
      return reply(202, render.addon(addon, expansions(context)));
    })
    .on('GET', '/addons/:addon', (context) => reply(200, render.addon(ownerOf(state.addon(param(context, 'addon'))), expansions(context))))
    .on('GET', '/apps/:app/addons/:addon', (context) =>
      reply(200, render.addon(state.addonOfApp(app(context), param(context, 'addon')), expansions(context))),
    )
    .on('DELETE', '/apps/:app/addons/:addon', (context) => {
      const addon = state.addonOfApp(permitted(app(context), PAID_ADDON_PERMISSIONS, 'remove paid add-ons'), param(context, 'addon'));
      const force = objectBody(context.body)['force'] === true;
      const result = lifecycle.destroy(addon, force);
      return reply(result.status, render.addon(result.addon, expansions(context)));
    })
    .on('GET', '/addons/:addon/addon-attachments', (context) =>
      attachmentList(context, state.attachmentsOfAddon(ownerOf(state.addon(param(context, 'addon'))))),
    )
    .on('GET', '/addon-attachments', (context) =>
      attachmentList(
        context,
        [...state.attachments.values()].filter((attachment) => canSee(state.app(attachment.appId))),
      ),
    )
    .on('GET', '/apps/:app/addon-attachments', (context) => attachmentList(context, state.attachmentsOfApp(app(context))))
    .on('GET', '/apps/:app/addon-attachments/:attachment', (context) =>
      reply(200, render.attachment(attachmentOnApp(app(context), param(context, 'attachment')), inclusions(context))),
    )
    .on('GET', '/addon-attachments/:attachment', (context) =>
      reply(200, render.attachment(visibleAttachment(state.attachment(param(context, 'attachment'))), inclusions(context))),
    )
    .on('POST', '/addon-attachments', async (context) => {
      const body = objectBody(context.body);
      // Attaching sets the app's config vars; the add-on may belong to any app the token can see (docs/fork-app.md).
      const owner = permitted(visible(state.app(requiredIdentity(body, 'app'))), CONFIG_PERMISSIONS, 'attach add-ons');
      const addon = ownerOf(state.addon(requiredIdentity(body, 'addon')));
      const name = optionalString(body, 'name');
      const confirm = optionalString(body, 'confirm');
      const attachment = await attachments.attach({
        addon,
        app: owner,
        namespace: optionalNullableString(body, 'namespace'),
        ...(name === undefined ? {} : { name }),
        ...(confirm === undefined ? {} : { confirm }),
      });
      return reply(201, render.attachment(attachment));
    })
    .on('DELETE', '/addon-attachments/:attachment', (context) => {
      const attachment = state.attachment(param(context, 'attachment'));
      permitted(visible(state.app(attachment.appId)), CONFIG_PERMISSIONS, 'detach add-ons');
      return reply(200, render.attachment(attachments.detach(attachment)));
    })
    .on('GET', '/apps/:app/config-vars', (context) =>
      reply(200, Object.fromEntries(state.configOf(permitted(app(context), CONFIG_PERMISSIONS, 'see config vars')))),
    )
    .on('GET', '/apps/:app/formation', (context) => reply(200, render.formation(app(context))))
    .on('GET', '/apps/:app/releases', (context) => {
      const owner = app(context);
      return listed(
        context,
        state.releasesOf(owner),
        ['version', 'id'],
        (release, field) => (field === 'id' ? release.id : release.version),
        (release) => render.release(owner, release),
      );
    })
    .on('GET', '/apps/:app/releases/:release', (context) => {
      const owner = app(context);
      const wanted = param(context, 'release');
      const release = state.releasesOf(owner).find((candidate) => candidate.id === wanted || String(candidate.version) === wanted);
      if (!release) throw notFound('release');
      return reply(200, render.release(owner, release));
    })
    .on('POST', '/actions/addons/resolve', (context) => {
      const body = objectBody(context.body);
      const wanted = requiredIdentity(body, 'addon');
      const appName = identity(body, 'app');
      const service = identity(body, 'addon_service');
      const found = service !== undefined && service !== SERVICE ? [] : resolveAddons(core, wanted, appName);
      if (found.length === 0) throw notFound('add_on');
      const expand = expansions(context);
      return reply(
        200,
        found.map((addon) => render.addon(addon, expand)),
      );
    })
    .on('POST', '/actions/addon-attachments/resolve', (context) => {
      const body = objectBody(context.body);
      const wanted = requiredIdentity(body, 'addon_attachment');
      const appName = identity(body, 'app');
      const service = identity(body, 'addon_service');
      const found = service !== undefined && service !== SERVICE ? [] : resolveAttachments(core, wanted, appName);
      if (found.length === 0) throw notFound('add_on attachment');
      const include = inclusions(context);
      return reply(
        200,
        found.map((attachment) => render.attachment(attachment, include)),
      );
    });
}

/** `APP::ATTACHMENT`, an add-on id or name, or an attachment name on `app`. */
function resolveAddons(core: SimCore, wanted: string, appName: string | undefined): AddonRecord[] {
  const found = new Map<string, AddonRecord>();
  for (const attachment of resolveAttachments(core, wanted, appName)) {
    const addon = core.state.addons.get(attachment.addonId);
    if (addon) found.set(addon.id, addon);
  }
  const direct = wanted.includes('::') ? undefined : core.state.findAddon(wanted);
  if (direct) found.set(direct.id, direct);
  return [...found.values()];
}

function resolveAttachments(core: SimCore, wanted: string, appName: string | undefined): AttachmentRecord[] {
  const { state } = core;
  const separator = wanted.indexOf('::');
  const scopeName = separator > 0 ? wanted.slice(0, separator) : appName;
  const name = separator > 0 ? wanted.slice(separator + 2) : wanted;
  const byId = state.attachments.get(wanted);
  if (byId) return [byId];
  if (scopeName !== undefined) {
    const scope = state.findApp(scopeName);
    if (!scope) return [];
    const onApp = state.attachmentsOfApp(scope);
    const named = onApp.filter((attachment) => attachment.name === name);
    if (named.length > 0) return named;
    const addon = state.findAddon(name);
    return addon ? onApp.filter((attachment) => attachment.addonId === addon.id) : [];
  }
  const addon = state.findAddon(name);
  return addon ? state.attachmentsOfAddon(addon) : [];
}

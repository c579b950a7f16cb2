// API JSON shapes of the Platform API schema (add-on, add-on-attachment, release, formation,
// account) and of the data API (docs/heroku-api.md: creating the fork, waiting, connecting, attachments).
import { createHash } from 'node:crypto';
import { formatBytes } from '../bytes.js';
import { PERMISSION_DESCRIPTIONS, permissionsOf, type Permission } from './access.js';
import { configVarName } from './attachments.js';
import type { DatabaseServer } from './databases.js';
import { canBeForked, monthlyCents, SERVICE, tierOf } from './plans.js';
import type { AddonRecord, AppRecord, AttachmentRecord, ReleaseRecord, SimState, TeamMemberRecord } from './state.js';

/** Stable UUID-shaped ids for things that have no record (plans, the service, the account). */
export function stableId(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const ACCOUNT = { id: stableId('account'), email: 'simulator@refork.invalid', name: 'refork simulator' };

/** Every other account is known by its email only. */
export function accountRef(email: string): { id: string; email: string } {
  return email === ACCOUNT.email ? { id: ACCOUNT.id, email } : { id: stableId(`account/${email.toLowerCase()}`), email };
}

export interface Inclusions {
  addonPlan: boolean;
  configVars: boolean;
}

/** `Accept-Expansion: addon_service,plan` (docs/heroku-api.md#headers): the named objects come whole instead of `{id, name}`. */
export interface Expansions {
  addonService: boolean;
  plan: boolean;
}

const NO_EXPANSION: Expansions = { addonService: false, plan: false };
/** A fixed date for records the simulator never changes (plans, the service). */
const CATALOG_DATE = '2026-01-01T00:00:00Z';

export class Renderer {
  constructor(
    private readonly state: SimState,
    private readonly databases: DatabaseServer,
  ) {}

  addon(addon: AddonRecord, expand: Expansions = NO_EXPANSION): Record<string, unknown> {
    const app = this.state.appOf(addon);
    const configVars =
      addon.state === 'provisioned'
        ? this.state
            .attachmentsOfAddon(addon)
            .filter((attachment) => attachment.appId === addon.appId)
            .map(configVarName)
        : [];
    return {
      actions: [],
      addon_service: expand.addonService ? this.service() : { id: stableId(SERVICE), name: SERVICE },
      app: this.state.ref(app),
      billing_entity: { ...this.state.ref(app), type: 'app' },
      billed_price: { cents: monthlyCents(addon.plan), contract: false, unit: 'month' },
      config_vars: configVars,
      created_at: addon.createdAt,
      id: addon.id,
      name: addon.name,
      plan: expand.plan ? this.plan(addon.plan) : { id: stableId(addon.plan), name: addon.plan },
      provider_id: addon.providerId,
      ...(addon.provisionMessage === null ? {} : { provision_message: addon.provisionMessage }),
      state: addon.state,
      updated_at: addon.updatedAt,
      web_url: `https://data.heroku.com/datastores/${addon.id}`,
    };
  }

  /** The schema's `plan` resource (`#/definitions/plan`); the CLI prints its `price`. */
  plan(plan: string): Record<string, unknown> {
    const tier = tierOf(plan);
    return {
      addon_service: { id: stableId(SERVICE), name: SERVICE },
      compliance: null,
      created_at: CATALOG_DATE,
      default: false,
      description: `Heroku Postgres ${tier}`,
      human_name: tier.replace(
        /(^|-)([a-z])/g,
        (_match, dash: string, letter: string) => `${dash === '' ? '' : ' '}${letter.toUpperCase()}`,
      ),
      id: stableId(plan),
      // Private Spaces take Standard-tier and higher, the same line as forking (docs/heroku-api.md#plans).
      installable_inside_private_network: canBeForked(plan),
      installable_outside_private_network: true,
      name: plan,
      price: { cents: monthlyCents(plan), contract: false, unit: 'month' },
      space_default: false,
      state: 'public',
      updated_at: CATALOG_DATE,
      visible: true,
    };
  }

  /** The schema's `add-on-service` resource. */
  service(): Record<string, unknown> {
    return {
      cli_plugin_name: null,
      created_at: CATALOG_DATE,
      human_name: 'Heroku Postgres',
      id: stableId(SERVICE),
      name: SERVICE,
      state: 'ga',
      supports_multiple_installations: true,
      supports_sharing: true,
      updated_at: CATALOG_DATE,
      supported_generations: [
        { id: stableId('generation/cedar'), name: 'cedar' },
        { id: stableId('generation/fir'), name: 'fir' },
      ],
    };
  }

  attachment(attachment: AttachmentRecord, include: Inclusions = { addonPlan: false, configVars: false }): Record<string, unknown> {
    const addon = this.state.addon(attachment.addonId);
    const app = this.state.app(attachment.appId);
    return {
      addon: {
        id: addon.id,
        name: addon.name,
        app: this.state.ref(this.state.appOf(addon)),
        ...(include.addonPlan ? { plan: { id: stableId(addon.plan), name: addon.plan } } : {}),
      },
      app: this.state.ref(app),
      created_at: attachment.createdAt,
      id: attachment.id,
      name: attachment.name,
      namespace: attachment.namespace,
      updated_at: attachment.updatedAt,
      web_url: `https://data.heroku.com/datastores/${addon.id}`,
      log_input_url: null,
      ...(include.configVars ? { config_vars: [configVarName(attachment)] } : {}),
    };
  }

  /** The schema's `app` resource (`GET /apps/{app}`): who owns it is what `heroku access` reads. */
  app(app: AppRecord): Record<string, unknown> {
    const team = app.team === null ? null : this.teamRef(app.team);
    return {
      acm: false,
      archived_at: null,
      buildpack_provided_description: null,
      build_stack: { id: stableId('heroku-24'), name: 'heroku-24' },
      created_at: app.createdAt,
      generation: { id: stableId('generation/cedar'), name: 'cedar' },
      git_url: `https://git.heroku.com/${app.name}.git`,
      id: app.id,
      internal_routing: null,
      maintenance: app.maintenance,
      name: app.name,
      owner: accountRef(app.ownerEmail),
      organization: team,
      team,
      region: { id: stableId('region/us'), name: 'us' },
      released_at: this.state.releasesOf(app).at(-1)?.createdAt ?? app.createdAt,
      repo_size: null,
      slug_size: null,
      space: null,
      stack: { id: stableId('heroku-24'), name: 'heroku-24' },
      updated_at: app.updatedAt,
      web_url: `https://${app.name}.herokuapp.com/`,
    };
  }

  /** The schema's `team-app` resource (`GET /teams/apps/{app}`). */
  teamApp(app: AppRecord, viewer: string): Record<string, unknown> {
    const { generation: _generation, acm: _acm, organization: _organization, ...common } = this.app(app);
    const joined = this.state.collaboratorsOf(app).some((entry) => entry.email.toLowerCase() === viewer.toLowerCase());
    return { ...common, joined, locked: app.locked };
  }

  /**
   * `GET /apps/{app}/collaborators`: a personal app lists its owner (role `owner`) and its
   * collaborators; a team app its collaborators with their role in the team and permissions.
   */
  collaborators(app: AppRecord): Array<Record<string, unknown>> {
    const team = app.team === null ? undefined : this.state.teamNamed(app.team);
    const entries = this.state.collaboratorsOf(app).map((entry) => {
      const role =
        team === undefined ? 'collaborator' : (team.members.find((m) => sameEmail(m.email, entry.email))?.role ?? 'collaborator');
      const permissions =
        team === undefined ? undefined : [...permissionsOf(this.state, app, entry.email)].sort().map((name) => this.permission(name));
      return this.collaborator(app, entry.id, entry.email, role, entry.createdAt, permissions);
    });
    if (team !== undefined) return entries;
    return [this.collaborator(app, stableId(`owner/${app.id}`), app.ownerEmail, 'owner', app.createdAt, undefined), ...entries];
  }

  teamMember(member: TeamMemberRecord): Record<string, unknown> {
    const user = accountRef(member.email);
    return {
      created_at: member.createdAt,
      email: member.email,
      federated: false,
      id: member.id,
      identity_provider: null,
      role: member.role,
      two_factor_authentication: false,
      updated_at: member.createdAt,
      user: { ...user, name: null },
    };
  }

  /** The schema's `team-app-permission`. */
  permission(name: Permission): Record<string, unknown> {
    return { name, description: PERMISSION_DESCRIPTIONS[name] };
  }

  private collaborator(
    app: AppRecord,
    id: string,
    email: string,
    role: string,
    createdAt: string,
    permissions: Array<Record<string, unknown>> | undefined,
  ): Record<string, unknown> {
    return {
      app: this.state.ref(app),
      created_at: createdAt,
      id,
      ...(permissions === undefined ? {} : { permissions }),
      role,
      updated_at: createdAt,
      user: { ...accountRef(email), federated: false },
    };
  }

  private teamRef(name: string): { id: string; name: string } {
    return { id: this.state.teamNamed(name)?.id ?? stableId(`team/${name}`), name };
  }

  release(app: AppRecord, release: ReleaseRecord): Record<string, unknown> {
    const releases = this.state.releasesOf(app);
    return {
      addon_plan_names: this.state.addonsOfApp(app).map((addon) => addon.plan),
      artifacts: [],
      app: this.state.ref(app),
      created_at: release.createdAt,
      description: release.description,
      id: release.id,
      updated_at: release.updatedAt,
      slug: null,
      status: release.status,
      user: { id: ACCOUNT.id, email: ACCOUNT.email },
      version: release.version,
      current: releases.at(-1) === release,
      output_stream_url: null,
      eligible_for_rollback: true,
    };
  }

  formation(app: AppRecord): Array<Record<string, unknown>> {
    const processes = [{ type: 'web', command: 'npm start', quantity: 1 }];
    if (app.releasePhase) processes.push({ type: 'release', command: 'npm run migrate', quantity: 0 });
    return processes.map((process) => ({
      app: this.state.ref(app),
      command: process.command,
      created_at: app.createdAt,
      dyno_size: { id: stableId('standard-1X'), name: 'standard-1X' },
      id: stableId(`${app.id}/${process.type}`),
      quantity: process.quantity,
      size: 'standard-1X',
      type: process.type,
      updated_at: app.updatedAt,
    }));
  }

  account(): Record<string, unknown> {
    return {
      allow_tracking: false,
      beta: false,
      created_at: '2026-01-01T00:00:00Z',
      email: ACCOUNT.email,
      federated: false,
      id: ACCOUNT.id,
      identity_provider: null,
      last_login: null,
      name: ACCOUNT.name,
      sms_number: null,
      suspended_at: null,
      delinquent_at: null,
      two_factor_authentication: false,
      updated_at: '2026-01-01T00:00:00Z',
      verified: true,
      country_of_residence: null,
      default_organization: null,
      default_team: null,
    };
  }

  databaseInfo(addon: AddonRecord, waitingMessage: string, waiting: boolean, bytes: number): Record<string, unknown> {
    const credential = addon.credential;
    const forkedFrom = addon.forkedFromId === null ? null : (this.state.addons.get(addon.forkedFromId)?.name ?? addon.forkedFromId);
    const following = addon.following === null ? null : (this.state.addons.get(addon.following)?.name ?? addon.following);
    const info: Array<{ name: string; values: string[] }> = [
      { name: 'Plan', values: [addon.plan.split(':')[1] ?? addon.plan] },
      { name: 'Status', values: [waiting ? capitalize(waitingMessage) : 'Available'] },
      { name: 'Fork/Follow', values: [addon.available && following === null ? 'Available' : 'Temporarily Unavailable'] },
      { name: 'Data Size', values: [formatBytes(bytes)] },
      { name: 'PG Version', values: ['18'] },
    ];
    if (forkedFrom !== null) info.push({ name: 'Forked From', values: [`@ref:${forkedFrom}`] });
    if (following !== null) info.push({ name: 'Following', values: [`@ref:${following}`] });
    return {
      addon_id: addon.id,
      name: addon.name,
      plan: addon.plan.split(':')[1] ?? addon.plan,
      port: credential?.port ?? 5432,
      database_name: credential?.database ?? null,
      database_user: credential?.user ?? null,
      resource_url: credential ? `postgres://${credential.host}:${credential.port}/${credential.database}` : null,
      'waiting?': waiting,
      following,
      leader: following,
      forked_from: forkedFrom,
      num_bytes: bytes,
      info,
    };
  }

  credentials(addon: AddonRecord): Record<string, unknown> | null {
    const credential = addon.credential;
    if (!credential) return null;
    return {
      uuid: stableId(`${addon.id}/default`),
      name: 'default',
      state: 'active',
      database: credential.database,
      host: credential.host,
      port: credential.port,
      credentials: [{ user: credential.user, password: credential.password, state: 'active', connections: 0 }],
    };
  }
}

function sameEmail(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

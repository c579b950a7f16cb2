// The real `heroku` CLI as a second client of the simulator (issue 5, part 3): the seed's manual
// flow, addons:create --fork -> pg:wait -> pg:promote -> addons:destroy, each exiting 0 and
// leaving the simulator as Heroku would be left. The CLI is code nobody here wrote, so a
// simulator that only agrees with refork's own client cannot pass this.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimRequest, Simulator } from '../../src/sim/index.js';
import { attachmentsOf as attachmentLines, databaseExists, query } from '../sim/helpers.js';
import { describeRun, fidelitySimulator, herokuCli, type CliResult, type HerokuCli, type RunningCli } from './heroku-cli.js';

const TOKEN = 'fidelity-cli-token';
const PROD = 'acme-prod';
const STAGING = 'acme-staging';
const PROD_DB = 'acme-prod-db';
const OLD_DB = 'acme-staging-db';
const FORK = 'acme-staging-fork';
const FORK_AS = 'REFORK_FORK';
const SEED = `
  CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
  INSERT INTO customers VALUES (1, 'ada@example.com'), (2, 'grace@example.com'), (3, 'edsger@example.com');
`;
let sim: Simulator;
let cli: HerokuCli;
const timings: string[] = [];

beforeAll(async () => {
  // Releases end almost at once: usually before pg:promote first looks; either way it must report success.
  sim = await fidelitySimulator(TOKEN);
  sim.createApp(PROD);
  // A release phase makes pg:promote check the "Attach DATABASE" release (docs/heroku-api.md#release-phase).
  sim.createApp(STAGING, { releasePhase: true });
  await sim.addDatabase(PROD, { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: PROD_DB, seedSql: SEED });
  await sim.addDatabase(STAGING, { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', name: OLD_DB });
  cli = await herokuCli({ apiUrl: sim.url, token: TOKEN });
});

afterAll(async () => {
  if (timings.length > 0) console.info(`heroku CLI ${cli.version} against the simulator:\n  ${timings.join('\n  ')}`);
  await cli?.dispose();
  await sim?.close();
});

async function heroku(args: string[]): Promise<CliResult> {
  return finished(args, cli.start(args));
}

async function finished(args: string[], running: RunningCli): Promise<CliResult> {
  const result = await running.done;
  timings.push(`${args.slice(0, 2).join(' ')}: exit ${result.code ?? result.signal}, ${result.ms} ms`);
  expect(result.code, describeRun(args, result)).toBe(0);
  return result;
}

/** Bounded poll that gives up as soon as the CLI has exited (its output then says why). */
async function whileRunning(running: RunningCli, args: string[], check: () => boolean): Promise<void> {
  let exited: CliResult | undefined;
  void running.done.then((result) => (exited = result));
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (check()) return;
    if (exited) throw new Error(`the CLI exited before the expected request\n${describeRun(args, exited)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`heroku ${args.join(' ')}: the expected request never came`);
}

const requestsTo = (method: string, path: string | RegExp): SimRequest[] =>
  sim.requests.filter(
    (request) => request.method === method && (typeof path === 'string' ? request.path === path : path.test(request.path)),
  );

const addonNamed = (name: string) => {
  const addon = sim.addons().find((candidate) => candidate.name === name);
  if (!addon) throw new Error(`no live add-on ${name}`);
  return addon;
};

const attachmentsOf = (app: string) => attachmentLines(sim, app);

describe(`the heroku CLI's fork, wait, promote, destroy flow against the simulator`, () => {
  it('addons:create --fork: a fork of production under its own attachment name, DATABASE untouched', async () => {
    const args = [
      'addons:create',
      'heroku-postgresql:standard-0',
      '--app',
      STAGING,
      '--name',
      FORK,
      '--as',
      FORK_AS,
      '--',
      '--fork',
      `${PROD}::DATABASE_URL`,
    ];
    const result = await heroku(args);

    // The body the CLI really sends (docs/heroku-api.md#request-forms): CLI forms, not the schema's strings.
    const [create] = requestsTo('POST', `/apps/${STAGING}/addons`);
    expect(create?.status).toBe(202);
    expect(create?.body).toEqual({
      attachment: { name: FORK_AS },
      config: { fork: `${PROD}::DATABASE_URL` },
      name: FORK,
      plan: { name: 'heroku-postgresql:standard-0' },
    });
    // The price comes from `Accept-Expansion: plan`; the provision message and state from the add-on.
    expect(result.stderr).toContain('~$0.069/hour (max $50/month)');
    expect(result.stdout).toContain('Database will become available after it completes forking');
    expect(result.stdout).toContain(`${FORK} is being created in the background`);

    const fork = addonNamed(FORK);
    expect(fork).toMatchObject({ app: { name: STAGING }, plan: 'heroku-postgresql:standard-0', forkedFrom: PROD_DB, follower: false });
    expect(attachmentsOf(STAGING)).toEqual([`DATABASE->${OLD_DB}`, `${FORK_AS}->${FORK}`]);
  });

  it('pg:wait: polls the data API through 404, "preparing" and "available", then exits 0', async () => {
    const fork = addonNamed(FORK);
    const waitStatus = `/client/v11/databases/${fork.id}/wait_status`;
    const answers = () => requestsTo('GET', waitStatus).map((request) => request.status);
    const args = ['pg:wait', FORK_AS, '--app', STAGING, '--wait-interval', '1'];
    const running = cli.start(args);

    // Shogun does not know the fork yet: the CLI must take the 404 as "waiting" (docs/heroku-api.md#waiting).
    await whileRunning(running, args, () => answers().includes(404));
    expect(await sim.advanceDatabase(FORK)).toBe('preparing');
    await whileRunning(running, args, () => answers().includes(200));
    expect(addonNamed(FORK).available, 'nothing made the fork available yet').toBe(false);
    expect(await sim.advanceDatabase(FORK)).toBe('available');
    const result = await finished(args, running);

    const seen = answers();
    expect(seen[0]).toBe(404);
    expect(seen.indexOf(200)).toBeGreaterThan(seen.lastIndexOf(404));
    expect(seen.every((status) => status === 404 || status === 200)).toBe(true);
    // The CLI resolved the attachment name with the resolver, then read wait_status on the API's port.
    expect(requestsTo('POST', '/actions/addon-attachments/resolve')[0]?.body).toEqual({ addon_attachment: FORK_AS, app: STAGING });
    expect(result.stderr).toMatch(/available/);

    // The fork holds production's rows and its own role may now log in.
    const rows = await query<{ id: number; email: string }>(sim.databaseUrl(FORK), 'SELECT id, email FROM customers ORDER BY id');
    const prodRows = await query<{ id: number; email: string }>(sim.databaseUrl(PROD_DB), 'SELECT id, email FROM customers ORDER BY id');
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(prodRows);
  });

  it('pg:promote: an alias keeps the old database, DATABASE moves to the fork, the release phase is awaited', async () => {
    const before = sim.events.length;
    const oldUrl = sim.databaseUrl(OLD_DB);
    const result = await heroku(['pg:promote', FORK_AS, '--app', STAGING]);

    // docs/heroku-api.md#promotion, step 2: a just-in-time HEROKU_POSTGRESQL_<COLOR> alias on the old database, then DATABASE.
    const posted = requestsTo('POST', '/addon-attachments').map((request) => request.body);
    expect(posted).toEqual([
      { addon: { name: OLD_DB }, app: { name: STAGING }, confirm: STAGING, namespace: null },
      { addon: { name: FORK }, app: { name: STAGING }, confirm: STAGING, name: 'DATABASE', namespace: null },
    ]);
    const alias = sim.attachments(STAGING).find((attachment) => attachment.addon.name === OLD_DB);
    expect(alias?.name).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+$/);
    const aliasName = alias?.name ?? '';
    expect(attachmentsOf(STAGING)).toEqual([`DATABASE->${FORK}`, `${aliasName}->${OLD_DB}`, `${FORK_AS}->${FORK}`].sort());

    const vars = sim.configVars(STAGING);
    expect(vars['DATABASE_URL']).toBe(sim.databaseUrl(FORK));
    expect(vars[`${aliasName}_URL`]).toBe(oldUrl);
    expect(vars[`${FORK_AS}_URL`]).toBe(sim.databaseUrl(FORK));

    // The alias exists before DATABASE moves (Heroku refuses to move the last billing attachment).
    const created = sim.events
      .slice(before)
      .filter((event) => event.type === 'attachment.created')
      .map((event) => event.attachment?.name);
    expect(created).toEqual([aliasName, 'DATABASE']);
    const releases = sim.events
      .slice(before)
      .filter((event) => event.type === 'release.updated')
      .map((event) => `${String(event.detail?.['description'])}: ${String(event.detail?.['status'])}`);
    expect(releases).toContain(`Attach DATABASE (@ref:${FORK}): succeeded`);
    expect(result.stderr).toContain('pg:promote succeeded.');
  });

  it('addons:destroy --confirm --wait: the old database answers 202 deprovisioning, then 404, and is gone', async () => {
    const old = addonNamed(OLD_DB);
    const result = await heroku(['addons:destroy', OLD_DB, '--app', STAGING, '--confirm', STAGING, '--wait']);

    // The CLI resolves the add-on, deletes it by ids with {"force": false}, then polls until 404 (docs/heroku-api.md#destroying).
    const [deleted] = requestsTo('DELETE', `/apps/${old.app.id}/addons/${old.id}`);
    expect(deleted).toMatchObject({ status: 202, body: { force: false } });
    expect(requestsTo('GET', `/apps/${STAGING}/addons/${OLD_DB}`).at(-1)?.status).toBe(404);
    expect(result.stdout).toContain(`Waiting for ${OLD_DB}`);

    expect(sim.addons(STAGING).map((addon) => addon.name)).toEqual([FORK]);
    expect(attachmentsOf(STAGING)).toEqual([`DATABASE->${FORK}`, `${FORK_AS}->${FORK}`]);
    expect(Object.keys(sim.configVars(STAGING)).sort()).toEqual(['DATABASE_URL', `${FORK_AS}_URL`]);
    expect(await databaseExists(old.databaseName)).toBe(false);
    const destroyed = sim.events.filter((event) => event.type === 'addon.destroyed').map((event) => event.addon?.name);
    expect(destroyed).toEqual([OLD_DB]);

    // Production is untouched by all of it.
    expect(attachmentsOf(PROD)).toEqual([`DATABASE->${PROD_DB}`]);
    expect(sim.configVars(PROD)['DATABASE_URL']).toBe(sim.databaseUrl(PROD_DB));
  });

  it('sent only requests the simulator serves', () => {
    // A 404 for an unknown endpoint would mean the CLI needed something the simulator lacks;
    // the only expected 404s are the data API's early ones and the destroyed add-on's.
    const unexpected = sim.requests.filter(
      (request) =>
        request.status >= 400 &&
        !(request.status === 404 && (/wait_status$/.test(request.path) || request.path === `/apps/${STAGING}/addons/${OLD_DB}`)),
    );
    expect(unexpected).toEqual([]);
  });
});

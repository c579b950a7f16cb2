// startSimulator: the core, its routes and the HTTP server, behind the Simulator interface.
import { SimCore } from './core.js';
import { ACCOUNT, Renderer } from './render.js';
import { adminRoutes } from './routes/admin.js';
import { dataRoutes } from './routes/data.js';
import { platformRoutes } from './routes/platform.js';
import { startServer } from './server.js';
import type { Simulator, SimulatorOptions } from './types.js';

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const core = new SimCore(options);
  const render = new Renderer(core.state, core.databases);
  let closing: Promise<void> | undefined;
  const sim: Simulator = {
    url: '',
    account: ACCOUNT.email,
    createApp: (name, opts) => core.createApp(name, opts),
    app: (name) => core.app(name),
    addCollaborator: (app, email, permissions) => core.addCollaborator(app, email, permissions),
    addTeamMember: (team, email, role) => core.addTeamMember(team, email, role),
    addDatabase: (app, opts) => core.addDatabase(app, opts),
    attach: (addon, app, name, namespace) => core.attach(addon, app, name, namespace ?? null),
    addons: (app) => core.addons(app),
    attachments: (app) => core.attachmentsOf(app),
    configVars: (app) => core.configVars(app),
    databaseUrl: (addon) => core.databaseUrl(addon),
    events: core.events.all,
    requests: core.requests,
    faults: { add: (rule) => core.faults.add(rule), clear: () => core.faults.clear() },
    advanceDatabase: (addon) => core.lifecycle.advance(core.state.addon(addon)),
    failNextFork: (opts) => core.lifecycle.failNextFork(opts?.message),
    failNextRelease: () => core.releases.failNextRelease(),
    close: () => {
      closing ??= (async () => {
        await server.close();
        await core.close();
      })();
      return closing;
    },
  };
  const server = await startServer(
    core,
    { platform: platformRoutes(core, render), data: dataRoutes(core, render), admin: adminRoutes(core, sim) },
    options.port ?? 0,
  );
  sim.url = server.url;
  return sim;
}

// Data API ("Shogun") routes on the same server: wait status, database info, credentials
// (docs/heroku-api.md#waiting, #connecting).
import type { SimCore } from '../core.js';
import { dataApiNotFound } from '../errors.js';
import { reply, type RequestContext } from '../http.js';
import type { Renderer } from '../render.js';
import { Router } from '../router.js';
import type { AddonRecord } from '../state.js';

export function dataRoutes(core: SimCore, render: Renderer): Router {
  const { state, lifecycle } = core;
  // The CLI passes the add-on UUID here; whether a name works is unconfirmed (docs/heroku-api.md#waiting), so only ids do.
  const byId = (context: RequestContext): AddonRecord => {
    const addon = state.addons.get(context.params['id'] ?? '');
    if (!addon) throw dataApiNotFound();
    return addon;
  };

  return new Router()
    .on('GET', '/client/v11/databases/:id/wait_status', (context) => {
      const status = lifecycle.waitStatus(byId(context));
      if (!status) throw dataApiNotFound();
      return reply(200, status);
    })
    .on('GET', '/client/v11/databases/:id', async (context) => {
      const addon = byId(context);
      const status = lifecycle.waitStatus(addon);
      if (!lifecycle.knowsDatabase(addon) || !status) throw dataApiNotFound();
      // The size of the real database behind it, measured now (docs/heroku-api.md#plan-storage).
      const bytes = addon.credential ? await core.databases.sizeOf(addon.credential.database) : undefined;
      if (bytes === undefined) throw dataApiNotFound();
      return reply(200, render.databaseInfo(addon, status.message, status['waiting?'], bytes));
    })
    .on('GET', '/postgres/v0/databases/:name/credentials/default', (context) => {
      const addon = state.findAddon(context.params['name'] ?? '');
      const body = addon && lifecycle.knowsDatabase(addon) ? render.credentials(addon) : null;
      if (!body) throw dataApiNotFound();
      return reply(200, body);
    });
}

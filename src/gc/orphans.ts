// Add-ons named by refork that no active run owns and that nothing uses: what a run that could
// not compensate (or a bug) left behind, on a fork app or a target. Each one costs money. In
// use means attached anywhere under a name other than a fork's own `REFORK_<hex>` attachment: as
// some app's DATABASE, or under the alias a rollback keeps (docs/fork-app.md). A previous
// database kept for a rollback (docs/rollback.md) is never an orphan, whether or not its alias
// is still there: the expiry beat retires it when its window ends.
import type { App } from '../app/open.js';
import type { HerokuApi } from '../heroku/types.js';
import { FORK_PREFIX, isForkAttachmentName } from '../steps/names.js';

export interface Orphan {
  /** The app that owns (and is billed for) it. */
  app: string;
  id: string;
  name: string;
  state: string;
  createdAt: string;
}

/** Where refork creates add-ons: every pipeline's fork app, and its target (today's forks, or those of before a fork app). */
export function appsToScan(app: App): string[] {
  return [...new Set(Object.values(app.config.pipelines).flatMap((p) => [p.forkApp, p.target.app]))];
}

async function inUse(heroku: HerokuApi, addonId: string): Promise<boolean> {
  return (await heroku.listAddonAttachments(addonId)).some((attachment) => !isForkAttachmentName(attachment.name ?? ''));
}

export async function findOrphans(app: App): Promise<Orphan[]> {
  const active = await app.store.listRuns({ status: 'active' });
  const owned = new Set(active.map((run) => (run.snapshot as { context?: { forkName?: string } }).context?.forkName).filter(Boolean));
  const kept = new Set((await app.previous.live()).map((previous) => previous.addonId));
  const orphans: Orphan[] = [];
  for (const owner of appsToScan(app)) {
    for (const addon of await app.heroku.listAddons(owner)) {
      if (!addon.name.startsWith(FORK_PREFIX) || owned.has(addon.name) || kept.has(addon.id)) continue;
      if (addon.app.name !== owner || addon.state === 'deprovisioning') continue; // only what this app owns and pays for
      if (await inUse(app.heroku, addon.id)) continue;
      orphans.push({ app: owner, id: addon.id, name: addon.name, state: addon.state, createdAt: addon.created_at });
    }
  }
  return orphans;
}

/** Destroys each orphan after checking again that nothing has come to use it meanwhile. */
export async function destroyOrphans(app: App, orphans: Orphan[]): Promise<string[]> {
  const destroyed: string[] = [];
  for (const orphan of orphans) {
    const kept = (await app.previous.live()).some((previous) => previous.addonId === orphan.id);
    if (kept || (await inUse(app.heroku, orphan.id))) continue;
    await app.heroku.destroyAddon(orphan.app, orphan.id);
    app.logger.info('orphan destroyed', { app: orphan.app, addon: orphan.name });
    destroyed.push(orphan.name);
  }
  return destroyed;
}

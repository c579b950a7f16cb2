// Add-ons named by refork that no active run owns and that are not any app's DATABASE: what a
// run that could not compensate (or a bug) left behind. Each one costs money.
import type { App } from '../app/open.js';
import { primaryDatabase } from '../steps/attachments.js';

export interface Orphan {
  app: string;
  id: string;
  name: string;
  state: string;
  createdAt: string;
}

export const FORK_PREFIX = 'refork-';

export async function findOrphans(app: App): Promise<Orphan[]> {
  const active = await app.store.listRuns({ status: 'active' });
  const owned = new Set(active.map((run) => (run.snapshot as { context?: { forkName?: string } }).context?.forkName).filter(Boolean));
  const targets = [...new Set(Object.values(app.config.pipelines).map((p) => p.target.app))];
  const orphans: Orphan[] = [];
  for (const target of targets) {
    const database = primaryDatabase(await app.heroku.listAttachments(target));
    for (const addon of await app.heroku.listAddons(target)) {
      if (!addon.name.startsWith(FORK_PREFIX) || owned.has(addon.name)) continue;
      if (addon.id === database?.addon?.id || addon.state === 'deprovisioning') continue;
      if (addon.app.name !== target) continue; // only what the target app owns and pays for
      orphans.push({ app: target, id: addon.id, name: addon.name, state: addon.state, createdAt: addon.created_at });
    }
  }
  return orphans;
}

/** Destroys each orphan after checking again that it has not become DATABASE meanwhile. */
export async function destroyOrphans(app: App, orphans: Orphan[]): Promise<string[]> {
  const destroyed: string[] = [];
  for (const orphan of orphans) {
    const database = primaryDatabase(await app.heroku.listAttachments(orphan.app));
    if (database?.addon?.id === orphan.id) continue;
    await app.heroku.destroyAddon(orphan.app, orphan.id);
    app.logger.info('orphan destroyed', { app: orphan.app, addon: orphan.name });
    destroyed.push(orphan.name);
  }
  return destroyed;
}

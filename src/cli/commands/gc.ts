import { openApp } from '../../app/open.js';
import { findOrphans, destroyOrphans } from '../../gc/orphans.js';
import { migrateToLatest } from '../../store/index.js';

/** `refork gc [--yes]`: refork-named add-ons that no live run owns; destroys them with --yes. */
export async function gcCommand(options: { yes?: boolean; json?: boolean }): Promise<number> {
  const app = await openApp();
  try {
    await migrateToLatest(app.knex);
    const orphans = await findOrphans(app);
    const destroyed = options.yes ? await destroyOrphans(app, orphans) : [];
    if (options.json) console.log(JSON.stringify({ orphans, destroyed }, null, 2));
    else if (orphans.length === 0) console.log('no orphaned refork add-ons');
    else {
      for (const o of orphans)
        console.log(`${o.app}  ${o.name}  ${o.state}  created ${o.createdAt}${destroyed.includes(o.name) ? '  destroyed' : ''}`);
      if (!options.yes) console.log(`${orphans.length} orphaned add-on(s); run \`refork gc --yes\` to destroy them`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

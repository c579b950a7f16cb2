import { openApp } from '../../app/open.js';
import { runChecks } from '../../doctor/checks.js';

/** `refork doctor`: token, apps, plans, control database, rules; one line per check. */
export async function doctorCommand(options: { json?: boolean }): Promise<number> {
  const app = await openApp();
  try {
    const checks = await runChecks(app);
    if (options.json) console.log(JSON.stringify(checks, null, 2));
    else for (const check of checks) console.log(`${check.ok ? (check.warning ? '!' : '✓') : '✗'} ${check.name}: ${check.detail}`);
    return checks.every((check) => check.ok) ? 0 : 1;
  } finally {
    await app.close();
  }
}

// `refork doctor`: every check a night's run depends on, read-only, each with its fix.
import type { App } from '../app/open.js';
import { redact } from '../log/redact.js';
import { pendingMigrations } from '../store/index.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function attempt(name: string, run: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: redact(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed' };
  }
}

export async function runChecks(app: App): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(
    await attempt('control database', async () => {
      const pending = await pendingMigrations(app.knex);
      return pending.length ? `reachable; ${pending.length} migration(s) pending: run \`refork migrate\`` : 'reachable, tables up to date';
    }),
  );
  for (const pipeline of Object.values(app.config.pipelines)) {
    const { effects } = app.runnerDeps(pipeline);
    checks.push(
      await attempt(`pipeline ${pipeline.name}`, async () => {
        // Preflight is read-only: it checks the token, both apps, the source plan, the safety rails,
        // and the rules against the source's schema (every column classified, every rule compiled).
        const found = await effects.preflight(
          { sourceApp: pipeline.source.app, sourceDatabase: pipeline.source.database, targetApp: pipeline.target.app },
          { signal: AbortSignal.timeout(60_000), logger: app.logger },
        );
        const target = found.oldDatabase ? `${found.oldDatabase.name} (owned by ${found.oldDatabase.app})` : 'none yet';
        return `forks ${found.source.name} from ${pipeline.source.app} into ${pipeline.target.app} (its DATABASE now: ${target}), plan ${pipeline.plan}; the rules cover and fit its schema`;
      }),
    );
  }
  return checks;
}

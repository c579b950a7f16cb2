// `refork doctor`: every check a night's run depends on, read-only, each with its fix.
import type { App } from '../app/open.js';
import { formatBytes } from '../bytes.js';
import type { DiskCheck } from '../steps/types.js';
import { redact } from '../log/redact.js';
import { pendingMigrations } from '../store/index.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Passes, but deserves a look (printed `!`; the exit code stays 0). */
  warning?: boolean;
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
    let disk: DiskCheck | undefined;
    checks.push(
      await attempt(`pipeline ${pipeline.name}`, async () => {
        // Preflight is read-only: it checks the token, both apps, the source plan, the safety rails,
        // and the rules against the source's schema (every column classified, every rule compiled).
        const found = await effects.preflight(
          { sourceApp: pipeline.source.app, sourceDatabase: pipeline.source.database, targetApp: pipeline.target.app },
          { signal: AbortSignal.timeout(60_000), logger: app.logger },
        );
        disk = found.disk;
        const target = found.oldDatabase ? `${found.oldDatabase.name} (owned by ${found.oldDatabase.app})` : 'none yet';
        return `forks ${found.source.name} from ${pipeline.source.app} into ${pipeline.target.app} (its DATABASE now: ${target}), plan ${pipeline.plan}; the rules cover and fit its schema`;
      }),
    );
    if (disk) checks.push(diskCheck(pipeline.name, disk));
  }
  return checks;
}

/** The fork plan's disk against the data and masking's peak (a source too big fails preflight above). */
function diskCheck(pipeline: string, disk: DiskCheck): Check {
  const name = `disk ${pipeline}`;
  if (disk.warning) return { name, ok: true, warning: true, detail: disk.warning };
  const size = (bytes: number | undefined) => (bytes === undefined ? 'unknown' : formatBytes(bytes));
  return {
    name,
    ok: true,
    detail: `the fork plan's ${size(disk.storageBytes)} hold the source's ${size(disk.sourceBytes)} and masking's peak of ${size(disk.peakBytes)} (room: ${size(disk.roomBytes)})`,
  };
}

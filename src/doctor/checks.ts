// `refork doctor`: every check a night's run depends on, read-only, each with its fix.
import type { App } from '../app/open.js';
import { formatBytes } from '../bytes.js';
import type { PipelineConfig } from '../config/pipeline.js';
import { redact } from '../log/redact.js';
import { accessBeyond, appAccess, describeGrants, lockingHelps, type AppAccess } from '../steps/access.js';
import type { DiskCheck } from '../steps/types.js';
import { pendingMigrations } from '../store/index.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Passes, but deserves a look (printed `!`; the exit code stays 0). */
  warning?: boolean;
}

function failed(name: string, error: unknown): Check {
  return { name, ok: false, detail: redact(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed' };
}

async function attempt(name: string, run: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return failed(name, error);
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
        // Preflight is read-only: it checks the token, the apps, the source plan, the fork app, the
        // safety rails, and the rules against the source's schema (every column classified, every rule compiled).
        const found = await effects.preflight(
          {
            sourceApp: pipeline.source.app,
            sourceDatabase: pipeline.source.database,
            targetApp: pipeline.target.app,
            forkApp: pipeline.forkApp,
          },
          { signal: AbortSignal.timeout(60_000), logger: app.logger },
        );
        disk = found.disk;
        const target = found.oldDatabase ? `${found.oldDatabase.name} (owned by ${found.oldDatabase.app})` : 'none yet';
        const where = pipeline.forkApp === pipeline.target.app ? '' : ` on ${pipeline.forkApp}`;
        return `forks ${found.source.name} from ${pipeline.source.app}${where} into ${pipeline.target.app} (its DATABASE now: ${target}), plan ${pipeline.plan}; the rules cover and fit its schema`;
      }),
    );
    if (disk) checks.push(diskCheck(pipeline.name, disk));
    checks.push(await accessCheck(app, pipeline));
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

const people = (access: AppAccess) => describeGrants(access.grants.filter((grant) => grant.reachesData));

/**
 * Who can reach the data of production and of the app the unmasked fork lives on, and whether
 * the latter lets in anyone the former does not (docs/fork-app.md "Who can reach an app").
 */
async function accessCheck(app: App, pipeline: PipelineConfig): Promise<Check> {
  const name = `access ${pipeline.name}`;
  const { forkApp } = pipeline;
  const source = pipeline.source.app;
  let production: AppAccess;
  let fork: AppAccess;
  try {
    const signal = AbortSignal.timeout(60_000);
    [production, fork] = await Promise.all([appAccess(app.heroku, source, { signal }), appAccess(app.heroku, forkApp, { signal })]);
  } catch (error) {
    return failed(name, error);
  }
  const listing = `${source}: ${people(production)}; ${forkApp}: ${people(fork)}`;
  const gaps = [...production.gaps, ...fork.gaps];
  const beyond = accessBeyond(fork, production);
  const refuse = pipeline.forkAppAccess === 'refuse';
  const unset = forkApp === pipeline.target.app;
  const where = unset
    ? `fork_app is unset: the unmasked fork lives on the target until it is promoted, and ${forkApp}`
    : `fork app ${forkApp}`;
  if (beyond.length > 0) {
    const lock = lockingHelps(beyond) ? ` or lock it (\`heroku apps:lock -a ${forkApp}\`)` : '';
    const fix = unset
      ? 'set fork_app to a private app (README: Running it on Heroku)'
      : `remove them from ${forkApp}${lock}${refuse ? '' : '; fork_app_access: refuse makes this stop runs'}`;
    return {
      name,
      ok: !refuse,
      warning: !refuse,
      detail: `${where} lets ${describeGrants(beyond)} reach its data, which ${source} does not: ${fix}. (${listing})`,
    };
  }
  if (gaps.length > 0) {
    return { name, ok: !refuse, warning: true, detail: `${gaps.join('; ')}: the lists may miss people. (${listing})` };
  }
  const verdict = unset
    ? `fork_app is unset: forks live on the target ${forkApp} until promoted (it lets in nobody beyond ${source}, but each fork restarts it twice more)`
    : `fork app ${forkApp} lets in nobody beyond ${source}`;
  return { name, ok: true, warning: unset, detail: `${verdict}. (${listing})` };
}

// Resolve the source database and the target's current DATABASE; refuse a refresh that could
// hurt production. Read-only, so it can run again freely.
import { addonRefOf, isForkablePlan, primaryDatabase } from './attachments.js';
import { checkForkDisk } from './check-disk.js';
import { checkRulesAgainstSource } from './check-rules.js';
import type { StepDeps } from './deps.js';
import { checkForkBoundary } from './fork-boundary.js';
import { StepError, type PreflightInput, type PreflightOutput, type StepContext } from './types.js';

export async function preflight(deps: StepDeps, input: PreflightInput, { signal, logger }: StepContext): Promise<PreflightOutput> {
  const { heroku } = deps;
  const sourceAttachment = await heroku.getAttachment(input.sourceApp, input.sourceDatabase, { signal });
  const source = addonRefOf(sourceAttachment);
  if (!source) {
    throw new StepError(
      `source app ${input.sourceApp} has no database attached as ${input.sourceDatabase}: check source.database in refork.yml`,
      'source_missing',
    );
  }
  const sourceAddon = await heroku.findAddon(source.id, { signal });
  const plan = sourceAddon?.plan.name ?? '';
  if (!plan.startsWith('heroku-postgresql')) {
    throw new StepError(
      `source ${source.name} on ${input.sourceApp} is not a Heroku Postgres database (plan ${plan || 'unknown'})`,
      'source_not_postgres',
    );
  }
  if (!isForkablePlan(plan)) {
    throw new StepError(
      `source ${source.name} is on plan ${plan}, which Heroku cannot fork: upgrade it to standard or higher`,
      'plan_not_forkable',
    );
  }

  const targetAttachments = await heroku.listAttachments(input.targetApp, { signal });
  const oldDatabase = addonRefOf(primaryDatabase(targetAttachments));
  if (oldDatabase && oldDatabase.id === source.id) {
    throw new StepError(
      `target app ${input.targetApp}'s DATABASE is the source database ${source.name}: refork would replace production's database; give the target its own database first`,
      'target_is_source',
    );
  }
  const vars = await heroku.getConfigVars(input.targetApp, { signal });
  if (sameDatabase(vars.DATABASE_URL, deps.controlDatabaseUrl)) {
    throw new StepError(
      `REFORK_DATABASE_URL is ${input.targetApp}'s DATABASE_URL: the control database would be replaced mid-run; give refork its own database`,
      'control_is_target',
    );
  }
  await checkForkBoundary(deps, input, signal);
  // Last, once the safety rails hold: the rules against production's schema, before any fork.
  const attachment = sourceAttachment?.name ?? input.sourceDatabase;
  await checkRulesAgainstSource(deps, { app: input.sourceApp, attachment }, signal);
  // Then the fork plan's disk against the data and masking's peak.
  const disk = await checkForkDisk(deps, { ...source, attachment }, signal);
  if (disk?.warning) logger.warn('disk', { warning: disk.warning });
  return { source, oldDatabase, sourcePlan: plan, ...(disk ? { disk } : {}) };
}

/** Same server and database name; credentials are irrelevant (and never compared in logs). */
function sameDatabase(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

// Mask the fork in place (the engine keeps a per-table ledger inside the fork, so a resumed
// run skips finished tables) and verify it before it may be promoted.
import pg from 'pg';
import { anonymizeDatabase, verifyAnonymized } from '../anonymize/index.js';
import { forkStorageBytes } from '../heroku/plan-storage.js';
import { clientConfig } from '../pg/connect.js';
import type { StepDeps } from './deps.js';
import { StepError, type AnonymizeInput, type AnonymizeOutput, type StepContext, type VerifyInput, type VerifyOutput } from './types.js';

/** The URL is read afresh from the fork's config var on every connect: credentials rotate. */
function forkConnector(deps: StepDeps, input: AnonymizeInput, { signal, logger }: StepContext) {
  return async (): Promise<pg.Client> => {
    const variable = `${input.attachmentName}_URL`;
    const vars = await deps.heroku.getConfigVars(input.app, { signal });
    const url = vars[variable];
    if (!url)
      throw new StepError(`config var ${variable} is missing on ${input.app}: the fork's attachment is gone`, 'fork_url_missing', true);
    const client = new pg.Client(clientConfig(url));
    // A session cut while idle (the fork restarted, a backend terminated) is emitted as an
    // 'error' event; without a listener Node would crash the runner. The next query on this
    // client then fails, and the step is retried from the fork's ledger.
    client.on('error', (error) => logger.warn('fork connection lost', { app: input.app, error: error.message }));
    await client.connect();
    return client;
  };
}

/** The budget when the pipeline sets one, else the plan's storage (known or configured); neither: no limit. */
function diskOf(disk: NonNullable<StepDeps['disk']>): { budgetBytes?: number; storageBytes?: number } {
  if (disk.budgetBytes !== undefined) return { budgetBytes: disk.budgetBytes };
  const storageBytes = forkStorageBytes(disk);
  return storageBytes === undefined ? {} : { storageBytes };
}

export async function anonymizeFork(deps: StepDeps, input: AnonymizeInput, context: StepContext): Promise<AnonymizeOutput> {
  const { signal, logger } = context;
  const report = await anonymizeDatabase({
    connect: forkConnector(deps, input, context),
    rules: deps.rules,
    runId: input.runId,
    key: deps.anonymizeKey,
    signal,
    onProgress: (progress) => logger.info('anonymize', { ...progress }),
    ...(deps.disk ? { disk: diskOf(deps.disk) } : {}),
  });
  return {
    tables: report.tables.length,
    rows: report.tables.reduce((sum, table) => sum + table.rows, 0),
    skipped: report.tables.filter((table) => table.skipped).length,
  };
}

export async function verifyFork(deps: StepDeps, input: VerifyInput, context: StepContext): Promise<VerifyOutput> {
  const report = await verifyAnonymized({
    connect: forkConnector(deps, input, context),
    rules: deps.rules,
    runId: input.runId,
    key: deps.anonymizeKey,
  });
  if (!report.ok) {
    const [first] = report.problems;
    const count = report.problems.length;
    const all = count > 1 ? ` (${count} problems in all: refork events <run>)` : '';
    throw new StepError(`verification failed: ${first ?? ''}${all}`, 'verification_failed', false, report.problems);
  }
  return { checks: report.checks ?? report.problems.length };
}

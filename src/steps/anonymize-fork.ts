// Mask the fork in place (the engine keeps a per-table ledger inside the fork, so a resumed
// run skips finished tables) and verify it before it may be promoted.
import pg from 'pg';
import { fixupRefs } from '../anonymize/fixups.js';
import { anonymizeDatabase, verifyAnonymized } from '../anonymize/index.js';
import { ledgerRows } from '../anonymize/ledger.js';
import { forkStorageBytes } from '../heroku/plan-storage.js';
import { clientConfig } from '../pg/connect.js';
import type { StepDeps } from './deps.js';
import { anonymizeFacts, verifyFacts } from './record.js';
import { StepError, type AnonymizeInput, type AnonymizeOutput, type StepContext, type VerifyInput, type VerifyOutput } from './types.js';

/** The URL is read afresh from the fork's config var on every connect: credentials rotate. */
export function forkConnector(deps: StepDeps, input: AnonymizeInput, { signal, logger }: StepContext) {
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
    // From the ledger, not this attempt's outcomes: a resumed run skipped what an earlier one masked.
    facts: { anonymize: anonymizeFacts(deps.rules, await readLedger(forkConnector(deps, input, context), input.runId)) },
  };
}

async function readLedger(connect: () => Promise<pg.Client>, runId: string) {
  const client = await connect();
  try {
    return await ledgerRows(client, runId);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function verifyFork(deps: StepDeps, input: VerifyInput, context: StepContext): Promise<VerifyOutput> {
  const report = await verifyAnonymized({
    connect: forkConnector(deps, input, context),
    rules: deps.rules,
    runId: input.runId,
    key: deps.anonymizeKey,
    fixups: fixupRefs(deps.fixups ?? [], deps.anonymizeKey),
  });
  // What a gate found is final: the fork is never promoted. A gate that could not run found
  // nothing either way: verifying is read-only, so the step is tried again (within its window).
  if (report.problems.length > 0)
    throw new StepError(`verification failed: ${firstOf(report.problems)}`, 'verification_failed', false, report.problems, {
      verify: verifyFacts(report),
    });
  if (report.unchecked.length > 0)
    throw new StepError(`verification could not finish: ${firstOf(report.unchecked)}`, 'verification_incomplete', true, report.unchecked);
  return { checks: report.checks, facts: { verify: verifyFacts(report) } };
}

/** The first line, and where the rest are: every line is kept in the step's failure. */
function firstOf(lines: string[]): string {
  const all = lines.length > 1 ? ` (${lines.length} problems in all: refork events <run>)` : '';
  return `${lines[0] ?? ''}${all}`;
}

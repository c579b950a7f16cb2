// Before anything is created: the rules against production's schema, catalog only and read-only
// (the engine's checkRules). A column nobody classified or a rule its column's type rejects
// would stop the run at verification, after hours of forking; here it stops it before the fork,
// with every problem listed. A check that could not run (production unreachable, a table locked
// by a migration) is transient: preflight is tried again.
import pg from 'pg';
import { checkRules } from '../anonymize/index.js';
import { clientConfig } from '../pg/connect.js';
import type { StepDeps } from './deps.js';
import { StepError } from './types.js';

/** Opens read sessions on production through its config var (read once), for preflight's checks. */
export async function sourceConnector(
  deps: StepDeps,
  source: { app: string; attachment: string },
  signal: AbortSignal,
): Promise<() => Promise<pg.Client>> {
  const variable = `${source.attachment}_URL`;
  const url = (await deps.heroku.getConfigVars(source.app, { signal }))[variable];
  if (!url)
    throw new StepError(`config var ${variable} is missing on ${source.app}: cannot read production's schema`, 'source_url_missing', true);
  return async () => {
    const client = new pg.Client({ ...clientConfig(url), application_name: 'refork-preflight', statement_timeout: 60_000 });
    client.on('error', () => {}); // a session cut while idle fails the next query instead
    await client.connect();
    return client;
  };
}

export async function checkRulesAgainstSource(
  deps: StepDeps,
  source: { app: string; attachment: string },
  signal: AbortSignal,
): Promise<{ problems: number }> {
  const connect = await sourceConnector(deps, source, signal);
  let check;
  try {
    check = await checkRules(connect, deps.rules);
  } catch (error) {
    throw new StepError(
      `could not check the rules against ${source.app}'s schema: ${error instanceof Error ? error.message : String(error)}`,
      'rules_check_not_run',
      true,
    );
  }
  if (!check.ok) {
    const [first] = check.problems;
    const count = check.problems.length;
    throw new StepError(
      `the rules do not fit ${source.app}'s schema: ${first ?? ''}${count > 1 ? ` (${count} problems in all; \`refork plan\` lists them)` : ''}`,
      'rules_do_not_fit',
      false,
      check.problems,
    );
  }
  return { problems: 0 };
}

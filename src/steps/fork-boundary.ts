// The fork app is where production's unmasked copy lives until it is verified: check, before
// anything is created, that it exists, that the token may create (paid) add-ons there, and,
// when the pipeline says `fork_app_access: refuse`, that it lets in nobody who cannot reach
// production's data already (docs/fork-app.md). Read-only.
import { accessBeyond, appAccess, describeGrants, lockingHelps, mayAddPaidAddons } from './access.js';
import type { StepDeps } from './deps.js';
import { StepError, type PreflightInput } from './types.js';

export async function checkForkBoundary(deps: StepDeps, input: PreflightInput, signal: AbortSignal): Promise<void> {
  const { heroku } = deps;
  const { forkApp, sourceApp } = input;
  if (!(await heroku.getApp(forkApp, { signal }))) {
    throw new StepError(
      `fork app ${forkApp} does not exist (or the token cannot see it): create it (\`heroku create ${forkApp}\`) or fix fork_app in refork.yml`,
      'fork_app_missing',
    );
  }
  const [account, fork] = await Promise.all([heroku.getAccount({ signal }), appAccess(heroku, forkApp, { signal })]);
  const email = account.email ?? '';
  if (mayAddPaidAddons(fork, email) === false) {
    throw new StepError(
      `the token's account ${email || '(unknown)'} may not create paid add-ons on ${forkApp}: use a token of its owner, a team admin, or an account with the manage permission there`,
      'fork_app_forbidden',
    );
  }
  if (deps.forkAppAccess !== 'refuse') return;
  const production = await appAccess(heroku, sourceApp, { signal });
  const gaps = [...fork.gaps, ...production.gaps];
  if (gaps.length > 0) {
    throw new StepError(
      `fork_app_access is refuse, but who can reach ${forkApp} and ${sourceApp} is not fully readable (${gaps.join('; ')}): give the token that access, or set fork_app_access: warn`,
      'fork_app_access_unknown',
    );
  }
  const beyond = accessBeyond(fork, production);
  if (beyond.length > 0) {
    throw new StepError(
      `fork app ${forkApp} lets ${describeGrants(beyond)} reach its data, which production ${sourceApp} does not: remove them from ${forkApp}${lockingHelps(beyond) ? ' (or lock it)' : ''}, or set fork_app_access: warn`,
      'fork_app_wider_access',
    );
  }
}

// When the target app has a release phase, moving DATABASE runs it (e.g. `rails db:migrate`)
// against the new database. Like `heroku pg:promote`, wait for the "Detach DATABASE" and
// "Attach DATABASE" releases and report a failure (docs/heroku-api.md#release-phase,
// heroku/heroku-pg#181: a failed one can leave the app without its database).
import type { Release } from '../heroku/types.js';
import type { StepDeps } from './deps.js';

const TERMINAL = new Set(['succeeded', 'failed', 'expired']);

function promotionReleases(recent: Release[], forkName: string): Release[] {
  const attach = recent.find((r) => (r.description ?? '').includes('Attach DATABASE') && (r.description ?? '').includes(forkName));
  if (!attach) return [];
  // The detach of the old database is the release just before the attach.
  const detach = recent.find((r) => (r.description ?? '').includes('Detach DATABASE') && (r.version ?? 0) === (attach.version ?? 0) - 1);
  return detach ? [detach, attach] : [attach];
}

/** Null when there is no release phase or it succeeded; otherwise what went wrong. */
export async function awaitAttachRelease(deps: StepDeps, app: string, forkName: string, signal: AbortSignal): Promise<string | null> {
  const { heroku, clock, polling } = deps;
  const formation = await heroku.listFormation(app, { signal });
  if (!formation.some((process) => process.type === 'release')) return null;
  const deadline = clock.now() + polling.releaseTimeoutMs;
  for (;;) {
    const releases = promotionReleases(await heroku.listReleases(app, 10, { signal }), forkName);
    // The live API also reports `expired`, which the published schema's enum lacks.
    const failed = releases.find((r) => (r.status as string) === 'failed' || (r.status as string) === 'expired');
    if (failed) return `the release phase of v${failed.version ?? '?'} (${failed.description ?? 'DATABASE'}) ${failed.status}`;
    if (releases.length > 0 && releases.every((r) => TERMINAL.has(r.status ?? ''))) return null;
    if (clock.now() > deadline) return `the release phase did not finish within ${Math.round(polling.releaseTimeoutMs / 60_000)} minutes`;
    await clock.sleep(polling.minMs, signal);
    if (signal.aborted) throw signal.reason;
  }
}

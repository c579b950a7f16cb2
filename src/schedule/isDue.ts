// Whether `refork tick` should start a run: a scheduled instant passed since the last run
// started. Missed ticks (Heroku Scheduler is best effort) cost nothing: however many
// instants were missed, one run is due, never a backlog.
import { nextRun } from './cron.js';

/** How far back a pipeline that never ran looks for a scheduled instant. */
export const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60 * 1000;

/**
 * Due when an instant lies in (lastStartedAt, now]; with no previous run, when one lies in
 * the last 24 hours. Pass the database clock as `now` and the last run's `createdAt`, so
 * the decision never depends on this host's clock.
 */
export function isDue(cron: string, timezone: string, lastStartedAt: Date | null, now: Date): boolean {
  const since = lastStartedAt ?? new Date(now.getTime() - FIRST_RUN_LOOKBACK_MS);
  if (since.getTime() >= now.getTime()) return false;
  return nextRun(cron, timezone, since).getTime() <= now.getTime();
}

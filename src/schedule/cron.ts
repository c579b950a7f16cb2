// A pipeline's schedule: a cron expression read in an IANA time zone (croner), so "0 3 * * *"
// in Europe/Berlin is 03:00 Berlin time in winter and summer alike. On a spring-forward
// day an instant that does not exist runs an hour later; on a fall-back day it runs once.
import { Cron } from 'croner';

const CRON_HINT = 'write five fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * *" for 03:00 every day';

/** Throws a one-line Error naming the fix when the expression or the time zone is not usable. */
export function compileSchedule(cron: string, timezone: string): Cron {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new Error(
      `unknown time zone ${JSON.stringify(timezone)} for schedule ${JSON.stringify(cron)}; use an IANA name such as "UTC" or "Europe/Berlin"`,
    );
  }
  let schedule: Cron;
  try {
    schedule = new Cron(cron, { timezone, paused: true });
  } catch (error) {
    // The library quotes the pattern back; a line break in it must not break the one-line error.
    const reason = (error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error)).replace(/\s*\n\s*/g, '\\n');
    throw new Error(`invalid schedule ${JSON.stringify(cron)}: ${reason}; ${CRON_HINT}`);
  }
  if (schedule.nextRun(new Date()) === null) {
    throw new Error(`schedule "${cron}" never fires (no such date); ${CRON_HINT}`);
  }
  return schedule;
}

/** Same as compileSchedule, for validating configuration without keeping the result. */
export function validateSchedule(cron: string, timezone: string): void {
  compileSchedule(cron, timezone);
}

/** The first scheduled instant strictly after `after`. */
export function nextRun(cron: string, timezone: string, after: Date): Date {
  const next = compileSchedule(cron, timezone).nextRun(after);
  if (next === null) throw new Error(`schedule "${cron}" has no instant after ${after.toISOString()}`);
  return next;
}

// One rate budget per Heroku token per process. Heroku grants each account 4,500 requests an
// hour from a token bucket and reports what is left in `RateLimit-Remaining`
// (https://devcenter.heroku.com/articles/platform-api-reference#rate-limits). Every run in a process draws on the same bucket, and so do other processes
// with the same token: the header is the one signal they all share. So the budget
//  - stretches waits that are not urgent (the next poll of a fork, the next retry) as the
//    bucket empties, which spreads the load of many waiting runs over time;
//  - after a 429, holds every new call in the process until Heroku's Retry-After has passed,
//    instead of letting each run find the limit on its own.
import { createHash } from 'node:crypto';

/** Heroku's documented budget per account and hour; the bucket holds as much. */
export const HEROKU_REQUESTS_PER_HOUR = 4_500;

/** While at least this share of the bucket is left, waits keep their length. */
const COMFORTABLE_SHARE = 0.5;
/** The most a wait is stretched, so a nearly empty bucket slows polling rather than stopping it. */
const MAX_STRETCH = 30;

export class RateBudget {
  #remaining: number | undefined;
  #holdUntil = 0;

  constructor(readonly capacity: number = HEROKU_REQUESTS_PER_HOUR) {}

  /** Last `RateLimit-Remaining` seen by any call of this process with this token. */
  get remaining(): number | undefined {
    return this.#remaining;
  }

  observe(remaining: number): void {
    this.#remaining = remaining;
  }

  /**
   * A non-urgent wait as the bucket allows: unchanged while half of it or more is left, then
   * longer by (half / left)², e.g. ×4 at a quarter left, ×25 at a tenth, at most ×30.
   */
  stretch(ms: number): number {
    const remaining = this.#remaining;
    if (remaining === undefined || ms <= 0) return ms;
    const left = Math.max(remaining / this.capacity, 0.01);
    if (left >= COMFORTABLE_SHARE) return ms;
    return ms * Math.min(MAX_STRETCH, (COMFORTABLE_SHARE / left) ** 2);
  }

  /** After a 429: no new call before `until` (epoch ms). */
  holdUntil(until: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, until);
  }

  /** How long a new call must wait from `now` (epoch ms) for a hold to end; 0 when there is none. */
  heldFor(now: number): number {
    return Math.max(0, this.#holdUntil - now);
  }
}

const budgets = new Map<string, RateBudget>();

/** The process's budget for this token (keyed by a digest, so the token itself is not kept twice). */
export function rateBudgetFor(token: string): RateBudget {
  const key = createHash('sha256').update(token).digest('hex');
  let budget = budgets.get(key);
  if (!budget) {
    budget = new RateBudget();
    budgets.set(key, budget);
  }
  return budget;
}

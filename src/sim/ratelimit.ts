// Heroku's per-account token bucket (docs/heroku-api.md#rate-limits): each call costs one token,
// tokens trickle back continuously, an empty bucket answers 429.
export interface RateLimitOptions {
  capacity: number;
  refillPerMinute: number;
}

export class RateLimiter {
  private tokens: number;
  private updatedAt = Date.now();

  constructor(private readonly options: RateLimitOptions | false) {
    this.tokens = options === false ? Number.POSITIVE_INFINITY : options.capacity;
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  remaining(): number {
    if (this.options === false) return 4500;
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    if (this.options === false) return;
    const at = Date.now();
    const gained = ((at - this.updatedAt) / 60_000) * this.options.refillPerMinute;
    this.tokens = Math.min(this.options.capacity, this.tokens + gained);
    this.updatedAt = at;
  }
}

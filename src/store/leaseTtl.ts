// Lease lengths travel to SQL as milliseconds and become `now() + interval` on the database
// clock; a bad value would silently make a lease that never or always expires.

export function leaseTtlMs(value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`lease TTL must be a positive number of milliseconds, got ${String(value)}`);
  }
  return Math.ceil(value);
}

// Byte counts as people read them: `64 GB`, `1.5 TB`, `412.3 MB` (powers of 1024, as Heroku's plan
// list and PostgreSQL's pg_size_pretty count them).

export const GB = 1024 ** 3;

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${unit === 0 || Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[unit]}`;
}

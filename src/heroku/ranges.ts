// Range headers for Heroku list endpoints (docs/heroku-api.md#pagination): lists page at 200 by
// default and 1000 at most; a 206 answer carries `Next-Range`, sent back verbatim as `Range`.

/** The largest page Heroku serves. */
export const MAX_PAGE_SIZE = 1000;

/** Stops a server that keeps answering 206 from looping forever (1000 pages = 1M items). */
export const MAX_PAGES = 1000;

/** First page of a list ordered by `field` (the schema's range field; `id` for most lists): `id ..; max=1000`. */
export function firstPageRange(field = 'id'): string {
  return `${field} ..; max=${MAX_PAGE_SIZE}`;
}

/** Newest releases first: `version ..; max=N, order=desc`, N clamped to 1..1000. */
export function newestReleasesRange(max: number): string {
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(max)));
  return `version ..; max=${size}, order=desc`;
}

/** The `Range` of the next page, or undefined when this answer was the last page. */
export function nextRange(status: number, nextRangeHeader: string | undefined): string | undefined {
  if (status !== 206) return undefined;
  const value = nextRangeHeader?.trim();
  return value ? value : undefined;
}

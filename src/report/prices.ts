// Estimated add-on cost (docs/report.md#cost). Heroku lists add-on prices per month and bills
// databases prorated to the second, the monthly price being the most one add-on costs in a
// month. refork does not read prices from Heroku; this table is a default the config's
// `prices:` overrides (an Enterprise contract, a price change, a plan missing here).

/** US dollars a month per heroku-postgresql plan, from Heroku's public price list (docs/report.md#prices). */
export const DEFAULT_MONTHLY_USD: Readonly<Record<string, number>> = {
  'heroku-postgresql:essential-0': 5,
  'heroku-postgresql:essential-1': 9,
  'heroku-postgresql:essential-2': 20,
  'heroku-postgresql:standard-0': 50,
  'heroku-postgresql:standard-2': 200,
  'heroku-postgresql:standard-3': 400,
  'heroku-postgresql:standard-4': 750,
  'heroku-postgresql:standard-5': 1400,
  'heroku-postgresql:standard-6': 2000,
  'heroku-postgresql:standard-7': 3500,
  'heroku-postgresql:standard-8': 4500,
  'heroku-postgresql:standard-9': 5800,
  'heroku-postgresql:premium-0': 200,
  'heroku-postgresql:premium-2': 350,
  'heroku-postgresql:premium-3': 750,
  'heroku-postgresql:premium-4': 1200,
  'heroku-postgresql:premium-5': 2500,
  'heroku-postgresql:premium-6': 3500,
  'heroku-postgresql:premium-7': 6000,
  'heroku-postgresql:premium-8': 8500,
  'heroku-postgresql:premium-9': 11000,
};

/** The month a monthly price is spread over: 30 days (Heroku's example: $7 a month is about $0.01 an hour). */
export const BILLING_MONTH_SECONDS = 30 * 24 * 3600;

export interface PriceList {
  /** Monthly USD of the plan, or null when neither the defaults nor the config know it. */
  monthly(plan: string): number | null;
  /** Where the price comes from, for the report's footnote. */
  source(plan: string): 'config' | 'default' | 'unknown';
}

export function priceList(overrides: Readonly<Record<string, number>> = {}): PriceList {
  const find = (plan: string): { usd: number; from: 'config' | 'default' } | null => {
    const full = plan.includes(':') ? plan : `heroku-postgresql:${plan}`;
    const configured = overrides[full] ?? overrides[plan];
    if (configured !== undefined) return { usd: configured, from: 'config' };
    const known = DEFAULT_MONTHLY_USD[full];
    return known === undefined ? null : { usd: known, from: 'default' };
  };
  return {
    monthly: (plan) => find(plan)?.usd ?? null,
    source: (plan) => find(plan)?.from ?? 'unknown',
  };
}

/** Prorated to the second, never more than the monthly price (an add-on kept a month or longer costs its price). */
export function proratedUsd(monthlyUsd: number, seconds: number): number {
  return Math.min(monthlyUsd, (monthlyUsd * Math.max(0, seconds)) / BILLING_MONTH_SECONDS);
}

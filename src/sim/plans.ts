// heroku-postgresql plans the simulator knows, and which of them may be forked from
// (docs/heroku-api.md#plans: essential, mini, basic, hobby and dev cannot be a fork source).
import { invalidParams } from './errors.js';

export const SERVICE = 'heroku-postgresql';
const DEFAULT_TIER = 'essential-0';
const TIERS = /^(essential-[0-2]|mini|basic|dev|hobby-dev|hobby-basic|(standard|premium|private|shield)-[0-9]+)$/;
const NOT_FORKABLE = /^(essential-|mini$|basic$|dev$|hobby-)/;

/** Accepts `heroku-postgresql:standard-0`, `heroku-postgresql` (default tier); anything else is 422. */
export function parsePlan(input: string): string {
  const [service, tier = DEFAULT_TIER, ...rest] = input.split(':');
  if (service !== SERVICE || rest.length > 0 || !TIERS.test(tier)) {
    throw invalidParams(`Couldn't find either the add-on service or the add-on plan of "${input}".`);
  }
  return `${SERVICE}:${tier}`;
}

export function tierOf(plan: string): string {
  return plan.split(':')[1] ?? DEFAULT_TIER;
}

export function canBeForked(plan: string): boolean {
  return !NOT_FORKABLE.test(tierOf(plan));
}

/** Fixture prices for add-on responses (standard-0 ≈ $50/month); not a price list. */
export function monthlyCents(plan: string): number {
  const tier = tierOf(plan);
  if (NOT_FORKABLE.test(tier)) return tier.startsWith('essential') ? 500 : 0;
  const size = Number(tier.split('-')[1] ?? 0);
  const base = tier.startsWith('standard') ? 5000 : tier.startsWith('premium') ? 20000 : 120000;
  return base * (size + 1);
}

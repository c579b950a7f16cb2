// How much disk each Heroku Postgres plan has (docs/heroku-api.md#plan-storage): a fork is created
// on a plan with a fixed storage size, and must hold the source's data and, while it is masked,
// the masking's peak. Heroku's "Production Tier Technical Characterization" lists the disk size of
// every Standard-tier and higher plan; a plan is its tier's level (standard-2, premium-2,
// private-2 and shield-2 have the same disk). A plan not listed here (a newer or legacy one) has no
// known size: the pipeline's `disk.storage_gb` gives it.
import { GB } from '../bytes.js';

const TB = 1024 * GB;

/** Disk size by plan level (the part after the tier), e.g. `0`, `2`, `l-6`. */
const STORAGE_BY_LEVEL: ReadonlyArray<readonly [level: string, bytes: number]> = [
  ['0', 64 * GB],
  ['2', 256 * GB],
  ['3', 512 * GB],
  ['4', 768 * GB],
  ['5', 1 * TB],
  ['6', 1.5 * TB],
  ['l-6', 2 * TB],
  ['xl-6', 3 * TB],
  ['7', 2 * TB],
  ['8', 3 * TB],
  ['9', 4 * TB],
  ['l-9', 5 * TB],
  ['xl-9', 6 * TB],
];

/** The tiers that list these levels; `l-` and `xl-` levels exist for all but standard. */
const TIERS = ['standard', 'premium', 'private', 'shield'] as const;

function split(plan: string): { tier: string; level: string } | undefined {
  const match = /^(?:heroku-postgresql:)?(standard|premium|private|shield)-((?:x?l-)?\d+)$/.exec(plan);
  if (!match) return undefined;
  const [, tier = '', level = ''] = match;
  if (tier === 'standard' && level.includes('l-')) return undefined;
  return { tier, level };
}

/** The plan's disk in bytes, or undefined when refork does not know it. */
export function planStorageBytes(plan: string): number | undefined {
  const parts = split(plan);
  if (!parts) return undefined;
  return STORAGE_BY_LEVEL.find(([level]) => level === parts.level)?.[1];
}

/**
 * The smallest plan of the same tier (standard when the tier is unknown) whose disk holds `bytes`,
 * e.g. `heroku-postgresql:standard-2`; undefined when none does.
 */
export function smallestPlanHolding(bytes: number, like: string): { plan: string; bytes: number } | undefined {
  const tier = split(like)?.tier ?? TIERS[0];
  const fits = STORAGE_BY_LEVEL.filter(([level, storage]) => storage >= bytes && !(tier === 'standard' && level.includes('l-')));
  const smallest = fits.reduce<(typeof fits)[number] | undefined>((best, entry) => (best && best[1] <= entry[1] ? best : entry), undefined);
  return smallest ? { plan: `heroku-postgresql:${tier}-${smallest[0]}`, bytes: smallest[1] } : undefined;
}

/** The fork's storage: the pipeline's `disk.storage_gb` when set, else the plan's from the list. */
export function forkStorageBytes(disk: { plan: string; storageBytes?: number }): number | undefined {
  return disk.storageBytes ?? planStorageBytes(disk.plan);
}

// A fault schedule drawn from a seed: how slow provisioning is, whether the fork fails, which
// Heroku endpoints misbehave and how, and a sequence of runner launches each with its own
// disruption (SIGKILL at a boundary or a moment, SIGTERM, SIGSTOP past the lease, racers),
// plus at most one control-database outage and cuts of the fork's connections; and, for some
// schedules with keep_previous, a `refork rollback` once the refresh has succeeded, with a
// disruption of its own.
import type { FaultKind } from '../../src/sim/index.js';
import { mulberry32, type Random } from './prng.js';

export type Disruption =
  | { kind: 'none' }
  /** REFORK_CRASH_AT: SIGKILL from inside at a recorded boundary. */
  | { kind: 'crashAt'; point: string }
  | { kind: 'kill'; afterMs: number }
  | { kind: 'term'; afterMs: number }
  /** SIGSTOP past the lease TTL; meanwhile another runner takes over; then SIGCONT. */
  | { kind: 'pause'; afterMs: number; forMs: number };

export interface Launch {
  /** `worker`: long-lived processes side by side, stopped with SIGTERM after `workForMs` (or once the run ended). */
  command: 'run' | 'tick' | 'worker';
  /** Processes started at once (the first one gets the disruption). */
  racers: number;
  disruption: Disruption;
  workForMs?: number;
}

/** `refork rollback staging` once the refresh has succeeded: processes started at once, the first one disrupted. */
export interface RollbackPhase {
  racers: number;
  disruption: Disruption;
}

export interface HerokuFault {
  method?: string;
  /** RegExp source, matched against the request path. */
  path: string;
  times: number;
  kind: FaultKind;
}

export interface ControlOutage {
  /** Which launch it happens in, and when after that launch starts. */
  launch: number;
  afterMs: number;
  forMs: number;
  mode: 'refuse' | 'blackhole';
  /** How a black hole ends: held connections carry on, or are reset. */
  heal: 'resume' | 'reset';
}

/** Where forks live: on staging (no fork app), or on a private fork app for a first or a later refresh. */
export type ForkAppMode = 'none' | 'first' | 'steady';

export interface Schedule {
  seed: number;
  forkApp: ForkAppMode;
  /** The pipeline keeps the database it replaces (`keep_previous`): cleaning keeps and records instead of destroying. */
  keepPrevious: boolean;
  provisionDelayMs: number;
  forkFails: boolean;
  faults: HerokuFault[];
  launches: Launch[];
  outage: ControlOutage | null;
  /** Times the fork's backends are terminated while the run is `anonymizing`. */
  forkCuts: number;
  /** The pipeline has `maintenance: true` (its boundaries and endpoints may then be hit too). */
  maintenance: boolean;
  /** The pipeline has fix-ups (the invariants then check each was applied exactly once). */
  fixups: boolean;
  /** A rollback after the refresh (only with keep_previous), or none. */
  rollback: RollbackPhase | null;
}

/** The kinds of trouble a schedule can feature; each seed is guaranteed at least its theme. */
export const THEMES = ['crashAt', 'kill', 'term', 'pause', 'race', 'heroku', 'forkFails', 'outage', 'forkCut', 'slow'] as const;
export type Theme = (typeof THEMES)[number];

// Forks are created and destroyed on staging or on the fork app, whichever the schedule uses.
const ENDPOINTS: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: '^/apps/acme-(staging|refork)/addons$' },
  { method: 'GET', path: '^/apps/acme-(staging|refork)/addons/[^/]+$' },
  { method: 'GET', path: '^/addons/[^/]+$' },
  { method: 'GET', path: '/wait_status$' },
  { method: 'GET', path: '/addon-attachments' },
  { method: 'POST', path: '^/addon-attachments$' },
  { method: 'DELETE', path: '^/addon-attachments/' },
  { method: 'DELETE', path: '^/apps/acme-(staging|refork)/addons/' },
  { method: 'GET', path: '/config-vars$' },
];

function faultKind(random: Random, allowTimeout: boolean): FaultKind {
  const roll = random.next();
  if (roll < 0.3) return { status: random.pick([500, 502, 503]), id: 'internal_server_error', message: 'chaos: injected server error' };
  if (roll < 0.5) return { status: 429, id: 'rate_limit', message: 'chaos: rate limited', retryAfterSeconds: random.int(0, 1) };
  if (roll < 0.7) return 'drop';
  if (roll < 0.9 || !allowTimeout) return 'applyThenDrop';
  return 'timeout';
}

function herokuFaults(random: Random, count: number, allowTimeout: boolean): HerokuFault[] {
  const faults: HerokuFault[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = random.pick(ENDPOINTS);
    faults.push({ method: endpoint.method, path: endpoint.path, times: random.int(1, 3), kind: faultKind(random, allowTimeout) });
  }
  // A 429 storm: every endpoint, several times in a row.
  if (random.chance(0.2))
    faults.push({
      path: '.*',
      times: random.int(3, 8),
      kind: { status: 429, id: 'rate_limit', message: 'chaos: storm', retryAfterSeconds: 0 },
    });
  return faults;
}

function disruption(random: Random, boundaries: readonly string[], forced?: Disruption['kind']): Disruption {
  const kind = forced ?? random.pick(['none', 'none', 'crashAt', 'crashAt', 'kill', 'term', 'pause'] as const);
  switch (kind) {
    case 'none':
      return { kind };
    case 'crashAt':
      return boundaries.length ? { kind, point: random.pick(boundaries) } : { kind: 'kill', afterMs: random.int(1500, 6000) };
    case 'kill':
    case 'term':
      // Within a refresh's first seconds: its process, started from the bundle's code cache, now
      // often ends a refresh on a small world in 4 s, and a signal sent after it exited is no fault.
      return { kind, afterMs: random.int(700, 4500) };
    case 'pause':
      return { kind, afterMs: random.int(1500, 5000), forMs: random.int(2200, 4000) };
  }
}

export interface ScheduleOptions {
  /** `name#n` boundaries recorded from a clean run: the crash points to choose from. */
  boundaries: readonly string[];
  /** The boundaries a clean run with `maintenance: true` adds to those (empty: no schedule crashes there). */
  maintenanceBoundaries?: readonly string[];
  /** Boundaries recorded from a clean `refork rollback` with maintenance mode (empty: no rollback crashes at one). */
  rollbackBoundaries?: readonly string[];
  /** Allow 'timeout' faults (each can hold a runner for the client's 30 s timeout). */
  allowTimeouts: boolean;
}

export function drawSchedule(seed: number, options: ScheduleOptions): Schedule {
  const random = mulberry32(seed);
  const theme: Theme = THEMES[seed % THEMES.length] ?? 'heroku';
  const launchCount = random.int(1, 3);
  const launches: Launch[] = [];
  for (let i = 0; i < launchCount; i++) {
    const forced = i === 0 && (theme === 'crashAt' || theme === 'kill' || theme === 'term' || theme === 'pause') ? theme : undefined;
    launches.push({
      command: random.chance(0.5) ? 'run' : 'tick',
      racers: theme === 'race' && i === 0 ? random.int(2, 3) : random.chance(0.15) ? 2 : 1,
      disruption: disruption(random, options.boundaries, forced),
    });
  }
  const faultCount = theme === 'heroku' ? random.int(2, 5) : random.chance(0.4) ? random.int(1, 3) : 0;
  // Drawn from a stream of its own, so every other draw of a seed stays what it was before
  // workers joined the schedules: some launches are two or three `refork worker` processes.
  const workers = mulberry32(seed ^ 0x5eed_f00d);
  for (const launch of launches) {
    if (!workers.chance(0.3)) continue;
    launch.command = 'worker';
    launch.racers = workers.int(2, 3);
    launch.workForMs = workers.int(3_000, 12_000);
  }
  const outage =
    theme === 'outage' || random.chance(0.1)
      ? {
          launch: random.int(0, launches.length - 1),
          afterMs: random.int(1200, 6000),
          forMs: random.int(1000, 5000),
          mode: random.pick(['refuse', 'blackhole'] as const),
          heal: random.pick(['resume', 'reset'] as const),
        }
      : null;
  // Maintenance mode on every other seed, its trouble drawn from a stream of its own (as the
  // workers'), so every other draw of a seed stays what it was before maintenance mode existed.
  const maintenance = seed % 2 === 0;
  const faults = herokuFaults(random, faultCount, options.allowTimeouts);
  if (maintenance) maintenanceTrouble(mulberry32(seed ^ 0x3a1e_7e11), launches, faults, options);
  const keepPrevious = seed % 2 === 0;
  // A stream of its own too, so every other draw of a seed stays what it was before rollbacks joined.
  const rollback = keepPrevious ? rollbackPhase(mulberry32(seed ^ 0x0b0c_4a11), maintenance, options) : null;
  return {
    seed,
    maintenance,
    // From the seed, not the random stream: every seed keeps the rest of its schedule.
    forkApp: (['steady', 'none', 'first'] as const)[seed % 3] ?? 'none',
    keepPrevious,
    provisionDelayMs: theme === 'slow' ? random.int(2000, 6000) : random.int(50, 1500),
    forkFails: theme === 'forkFails' || random.chance(0.05),
    faults,
    launches,
    outage,
    forkCuts: theme === 'forkCut' ? random.int(1, 2) : random.chance(0.1) ? 1 : 0,
    // From the seed too (odd seeds), so every seed keeps the rest of its schedule.
    fixups: seed % 2 === 1,
    rollback,
  };
}

/** Matches the boundaries only maintenance mode has (its effects, its states, its Heroku calls). */
const MAINTENANCE_BOUNDARY = /aintenance/;

/**
 * Half the keep_previous schedules roll back. A rollback takes a few seconds, so a kill or a
 * SIGTERM comes sooner than a refresh's; a crash is at a boundary of a clean rollback (one of
 * maintenance mode's half the time, when the pipeline has it).
 */
function rollbackPhase(random: Random, maintenance: boolean, options: ScheduleOptions): RollbackPhase | null {
  if (!random.chance(0.5)) return null;
  const kind = random.pick(['none', 'crashAt', 'crashAt', 'kill', 'term', 'race'] as const);
  const racers = kind === 'race' ? random.int(2, 3) : 1;
  const all = (options.rollbackBoundaries ?? []).filter((point) => maintenance || !MAINTENANCE_BOUNDARY.test(point));
  const ofMaintenance = all.filter((point) => MAINTENANCE_BOUNDARY.test(point));
  switch (kind) {
    case 'none':
    case 'race':
      return { racers, disruption: { kind: 'none' } };
    case 'crashAt': {
      const points = ofMaintenance.length > 0 && random.chance(0.5) ? ofMaintenance : all;
      return {
        racers,
        disruption: points.length ? { kind, point: random.pick(points) } : { kind: 'kill', afterMs: random.int(500, 3000) },
      };
    }
    case 'kill':
    case 'term':
      return { racers, disruption: { kind, afterMs: random.int(500, 3000) } };
  }
}

/** Half the crashes at a boundary move to one of maintenance mode's; half the time a fault on staging's app resource. */
function maintenanceTrouble(random: Random, launches: Launch[], faults: HerokuFault[], options: ScheduleOptions): void {
  const points = options.maintenanceBoundaries ?? [];
  for (const launch of launches) {
    if (launch.disruption.kind === 'crashAt' && points.length > 0 && random.chance(0.5)) {
      launch.disruption = { kind: 'crashAt', point: random.pick(points) };
    }
  }
  if (random.chance(0.5)) {
    faults.push({
      method: random.pick(['GET', 'PATCH']),
      path: '^/apps/acme-staging$',
      times: random.int(1, 3),
      kind: faultKind(random, options.allowTimeouts),
    });
  }
}

function describeDisruption(disruption: Disruption): string {
  if (disruption.kind === 'none') return '';
  const at = 'point' in disruption ? `@${disruption.point}` : 'afterMs' in disruption ? `@${disruption.afterMs}ms` : '';
  return `+${disruption.kind}${at}`;
}

/** One line that says what the schedule does, for failure reports. */
export function describeSchedule(schedule: Schedule): string {
  const launches = schedule.launches
    .map((l) => `${l.command}×${l.racers}${l.workForMs ? `(${l.workForMs}ms)` : ''}${describeDisruption(l.disruption)}`)
    .join(', ');
  const faults = schedule.faults
    .map((f) => `${f.method ?? '*'} ${f.path} ×${f.times} ${typeof f.kind === 'string' ? f.kind : f.kind.status}`)
    .join('; ');
  const outage = schedule.outage
    ? ` outage(${schedule.outage.mode}/${schedule.outage.heal} in launch ${schedule.outage.launch} at ${schedule.outage.afterMs}ms for ${schedule.outage.forMs}ms)`
    : '';
  const forkApp = schedule.forkApp === 'none' ? '' : `fork app (${schedule.forkApp}), `;
  const maintenance = schedule.maintenance ? 'maintenance mode, ' : '';
  const fixups = schedule.fixups ? 'fix-ups, ' : '';
  const keep = schedule.keepPrevious ? 'keep_previous, ' : '';
  const rollback = schedule.rollback
    ? `; then rollback×${schedule.rollback.racers}${describeDisruption(schedule.rollback.disruption)}`
    : '';
  return `seed ${schedule.seed}: ${forkApp}${maintenance}${fixups}${keep}provision ${schedule.provisionDelayMs}ms${schedule.forkFails ? ', fork fails' : ''}${schedule.forkCuts ? `, ${schedule.forkCuts} fork cut(s)` : ''}; launches [${launches}]; faults [${faults}]${outage}${rollback}`;
}

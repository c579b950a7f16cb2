// The design's invariants, checked against the simulator's ground truth (its mutation log and
// live state) and the control tables, after a scenario however many crashes it had.
import { forkNameFor } from '../../machines/refresh.js';
import { fixupRefs } from '../../src/anonymize/fixups.js';
import { adminQuery } from './databases.js';
import type { World } from './world.js';
import { ANONYMIZE_KEY, FIXUP_BUMP, FIXUPS, readControl, verifiedForks } from './world.js';

export interface InvariantReport {
  violations: string[];
  forksCreated: number;
  runs: Array<{ id: string; kind: string; status: string; state: string }>;
}

interface SimEventLike {
  type: string;
  seq?: number;
  [key: string]: unknown;
}

function field(event: SimEventLike, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = event[name];
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string')
      return (value as { name: string }).name;
  }
  return undefined;
}

/** `expect`: how the last run ended, a refresh's or (after the rollback phase of a chaos schedule) a rollback's. */
export async function checkInvariants(world: World, expect: { status: 'succeeded' | 'failed' | 'aborted' }): Promise<InvariantReport> {
  const violations: string[] = [];
  const events = world.sim.events as unknown as SimEventLike[];
  const runs = await readControl<{ id: string; kind: string; status: string; state: string }>(
    world,
    'SELECT id, kind, status, state FROM refork_runs ORDER BY created_at',
  );

  // 1. At most one fork per run.
  // (A world may start on last night's fork: seeded, not created by a run.)
  const created = events.filter((e) => {
    const name = field(e, 'addon', 'name') ?? '';
    return e.type === 'addon.created' && name.startsWith('refork-') && name !== world.oldStagingAddon;
  });
  const perName = new Map<string, number>();
  for (const e of created) {
    const name = field(e, 'addon', 'name') ?? '';
    perName.set(name, (perName.get(name) ?? 0) + 1);
  }
  for (const [name, count] of perName) if (count > 1) violations.push(`fork ${name} created ${count} times`);
  if (perName.size > runs.length) violations.push(`${perName.size} forks for ${runs.length} runs`);

  // 2. Nothing refork created outlives its run but the promoted database (on any app: a fork app's too),
  // and the previous database a pipeline with keep_previous keeps (recorded; checkPreviousInvariants checks those).
  const kept = new Set(
    (
      await readControl<{ addon_name: string }>(
        world,
        "SELECT addon_name FROM refork_previous_databases WHERE state IN ('kept', 'restoring', 'destroying')",
      ).catch(() => [])
    ).map((row) => row.addon_name),
  );
  const live = world.sim.addons().filter((a) => a.name.startsWith('refork-') && !kept.has(a.name));
  const database = world.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace);
  const databaseAddon = database ? addonNameOf(database) : undefined;
  for (const addon of live) {
    if (addon.name !== databaseAddon && addon.state !== 'deprovisioning')
      violations.push(`leaked add-on ${addon.name} (state ${addon.state})`);
  }

  // 3. DATABASE only ever pointed at the old database or an anonymized fork.
  for (const check of world.attachChecks) {
    if (check.addon !== world.oldStagingAddon && !check.anonymized)
      violations.push(`${check.addon} became DATABASE unanonymized: ${check.detail}`);
  }

  // 4. The old database is destroyed only after the promotion.
  const seqOf = (e: SimEventLike, i: number) => (typeof e.seq === 'number' ? e.seq : i);
  const promotedAt = events.findIndex(
    (e) =>
      e.type === 'attachment.created' &&
      field(e, 'attachment', 'name') === 'DATABASE' &&
      (field(e, 'addon', 'addonName') ?? '').startsWith('refork-'),
  );
  const destroyedAt = events.findIndex(
    (e) => (e.type === 'addon.destroy_requested' || e.type === 'addon.destroyed') && field(e, 'addon', 'name') === world.oldStagingAddon,
  );
  if (
    destroyedAt >= 0 &&
    (promotedAt < 0 || seqOf(events[destroyedAt] as SimEventLike, destroyedAt) < seqOf(events[promotedAt] as SimEventLike, promotedAt))
  ) {
    violations.push('old database destroyed before the promotion');
  }

  // 5. Production is never touched.
  if (!world.sim.addons('acme-prod').some((a) => a.name === world.prodAddon)) violations.push('production database is gone');

  // 6. The run ended as expected; none is left active.
  const last = runs.at(-1);
  if (!last) violations.push('no run recorded');
  else if (last.status !== expect.status) violations.push(`run ended ${last.status} in ${last.state}, expected ${expect.status}`);
  for (const run of runs) if (run.status === 'active') violations.push(`run ${run.id} still active in ${run.state}`);

  if (expect.status === 'succeeded' && last?.kind === 'rollback') {
    // A rollback's success: DATABASE is the database it restored (checkPreviousInvariants checks the rest).
    const [restored] = await readControl<{ addon_name: string }>(
      world,
      "SELECT addon_name FROM refork_previous_databases WHERE rollback_run = $1 AND state = 'restored'",
      [last.id],
    );
    if (!restored || databaseAddon !== restored.addon_name)
      violations.push(
        `staging DATABASE is ${databaseAddon ?? 'nothing'} after a rollback, not the database it restored (${restored?.addon_name ?? 'none recorded'})`,
      );
  } else if (expect.status === 'succeeded') {
    if (!databaseAddon?.startsWith('refork-')) violations.push(`staging DATABASE is ${databaseAddon ?? 'nothing'}, not a fork`);
  } else if (databaseAddon !== world.oldStagingAddon) {
    violations.push(`staging DATABASE is ${databaseAddon ?? 'nothing'} after a ${expect.status} run, expected the old database`);
  }
  // After a success the old database is gone, unless kept for a rollback or (rolled back to) DATABASE again.
  if (
    expect.status === 'succeeded' &&
    world.sim.addons().some((a) => a.name === world.oldStagingAddon) &&
    !kept.has(world.oldStagingAddon) &&
    databaseAddon !== world.oldStagingAddon
  )
    violations.push('old staging database not destroyed');

  // 6b. Every finished run owes the notice of its end, recorded with its last transition: a kill
  // can lose it neither before it is sent nor after.
  const notices = await readControl<{ run_id: string; kind: string }>(world, 'SELECT run_id, kind FROM refork_notifications');
  for (const run of runs) {
    const kinds = notices.filter((notice) => notice.run_id === run.id).map((notice) => notice.kind);
    const ends = kinds.filter((kind) => kind !== 'stuck');
    if (run.status !== 'active' && (ends.length !== 1 || ends[0] !== run.status))
      violations.push(`run ${run.id} ended ${run.status} with end notices [${ends.join(', ')}]`);
  }

  // 6c. Every configured fix-up was applied exactly once in the fork staging now runs on, by the refresh that made it.
  const madeBy = runs.find((run) => run.kind === 'refresh' && forkNameFor('staging', run.id) === databaseAddon);
  if (expect.status === 'succeeded' && world.fixups.length > 0 && databaseAddon) {
    if (madeBy) violations.push(...(await fixupsAppliedOnce(world, databaseAddon, madeBy.id)));
    else if (last?.kind === 'refresh') violations.push(`staging DATABASE ${databaseAddon} is no refresh's fork`);
  }

  // 7. With a fork app, no config var of the target ever held the URL of a fork that had not passed
  // verification (world.ts records each one the instant before it goes live). Without one, the
  // fork's own attachment on the target exposes it: what a fork app is for.
  if (world.forkApp !== 'acme-staging') {
    // Last night's fork was staging's DATABASE before the run began (kept under REFORK_PREVIOUS, it is exposed again, not newly).
    for (const exposure of world.targetExposures.filter((e) => !e.verified && e.addon !== world.oldStagingAddon))
      violations.push(`acme-staging's ${exposure.variable} held the unverified fork ${exposure.addon}`);
  }
  violations.push(...maintenanceViolations(world, runs));
  return { violations, forksCreated: created.length, runs };
}

/**
 * 8. Once no run is active, staging is in maintenance exactly when its owner had put it there
 * (refork never leaves it on, and never turns off a window it did not open).
 * 9. With maintenance mode, DATABASE moved (to a fork by a refresh, back to the previous
 * database by a rollback) only while staging was in maintenance.
 */
export function maintenanceViolations(world: World, runs: Array<{ status: string }>): string[] {
  const violations: string[] = [];
  const events = world.sim.events as unknown as SimEventLike[];
  const staging = (e: SimEventLike) => field(e, 'app') === 'acme-staging';
  const changes = events.filter((e) => e.type === 'app.updated' && staging(e));
  const setTo = (e: SimEventLike) => (e['detail'] as { maintenance?: unknown } | undefined)?.maintenance;
  if (!runs.some((run) => run.status === 'active') && world.sim.app('acme-staging').maintenance !== world.ownersMaintenance) {
    violations.push(
      world.ownersMaintenance
        ? "staging's own maintenance window was turned off"
        : `staging left in maintenance after the run ended (${changes.length} maintenance change(s))`,
    );
  }
  if (world.ownersMaintenance && changes.some((e) => setTo(e) === false))
    violations.push("refork turned off staging's own maintenance window");
  if (!world.maintenanceMode) {
    if (changes.length > 0) violations.push('staging went into maintenance without maintenance mode');
    return violations;
  }
  let inMaintenance = world.ownersMaintenance;
  // The first DATABASE staging gets is the world's own (seeded before any run); every later one is a swap.
  let seeded = false;
  for (const e of events) {
    if (e.type === 'app.updated' && staging(e)) inMaintenance = setTo(e) === true;
    if (e.type !== 'attachment.created' || !staging(e) || field(e, 'attachment', 'name') !== 'DATABASE') continue;
    if (!seeded) seeded = true;
    else if (!inMaintenance) violations.push(`${field(e, 'addon') ?? 'a database'} became DATABASE while staging was open`);
  }
  return violations;
}

/**
 * Invariant 7 at one instant (a recorded boundary where the runner was killed): config vars of
 * the target holding the URL of a live refork add-on whose run has not passed verification.
 */
export async function unverifiedForksOnTarget(world: World): Promise<string[]> {
  const verified = await verifiedForks(world.control.url);
  const vars = Object.entries(world.sim.configVars('acme-staging'));
  const found: string[] = [];
  for (const addon of world.sim.addons()) {
    if (!addon.name.startsWith('refork-') || addon.name === world.oldStagingAddon || verified.has(addon.name)) continue;
    let url: string;
    try {
      url = world.sim.databaseUrl(addon.id);
    } catch {
      continue; // not provisioned yet: it has no URL anyone could hold
    }
    for (const [name, value] of vars) if (value === url) found.push(`acme-staging's ${name} holds the unverified fork ${addon.name}`);
  }
  return found;
}

/** The fork's ledger names each configured fix-up once, for this run; the counter fix-up moved order 1 once. */
async function fixupsAppliedOnce(world: World, addon: string, runId: string): Promise<string[]> {
  const url = world.sim.databaseUrl(addon);
  const ledger = await adminQuery(url, 'SELECT ordinal, digest FROM refork.fixups WHERE run_id = $1 ORDER BY ordinal', [runId]).catch(
    (error: unknown) => ({ rows: [], error }),
  );
  const expected = fixupRefs(world.fixups, ANONYMIZE_KEY);
  const found: string[] = [];
  if (JSON.stringify(ledger.rows) !== JSON.stringify(expected))
    found.push(`fix-up ledger of ${addon} is ${JSON.stringify(ledger.rows)}, expected ${JSON.stringify(expected)}`);
  if (world.fixups.includes(FIXUPS[1] ?? '')) {
    const total = async (from: string) =>
      Number((await adminQuery(from, 'SELECT total_cents::text AS t FROM orders WHERE id = 1')).rows[0]?.t as string | undefined);
    const moved = (await total(url)) - (await total(world.sim.databaseUrl(world.prodAddon)));
    if (moved !== FIXUP_BUMP) found.push(`the counter fix-up moved order 1 by ${moved}, not once (${FIXUP_BUMP})`);
  }
  return found;
}

function addonNameOf(attachment: unknown): string | undefined {
  const a = attachment as { addon?: { name?: string } | string; addonName?: string };
  if (typeof a.addon === 'string') return a.addon;
  return a.addon?.name ?? a.addonName;
}

/**
 * The rollback window's invariants (docs/rollback.md), from the control tables and the
 * simulator's ground truth: never more than one previous database per pipeline; never one
 * destroyed inside its window, nor without its intent recorded first; none recorded as kept
 * that Heroku no longer has; DATABASE only ever the old database, a recorded previous one or a
 * verified fork.
 */
export async function checkPreviousInvariants(world: World): Promise<string[]> {
  const violations: string[] = [];
  const rows = await readControl<{
    id: string;
    pipeline: string;
    addon_name: string;
    state: string;
    reason: string | null;
    kept_until: Date;
  }>(world, 'SELECT id, pipeline, addon_name, state, reason, kept_until FROM refork_previous_databases ORDER BY id');
  const liveRows = rows.filter((r) => ['kept', 'restoring', 'destroying'].includes(r.state));
  const perPipeline = new Map<string, number>();
  for (const row of liveRows) perPipeline.set(row.pipeline, (perPipeline.get(row.pipeline) ?? 0) + 1);
  for (const [pipeline, count] of perPipeline) if (count > 1) violations.push(`${count} previous databases kept for ${pipeline}`);

  // An expiry is recorded (`previous.destroying`) only once the window has ended.
  const early = await readControl<{ addon: string }>(
    world,
    `SELECT e.detail->>'addon' AS addon FROM refork_run_events e
       JOIN refork_previous_databases p ON p.addon_name = e.detail->>'addon' AND p.run_id = e.run_id
      WHERE e.type = 'previous.destroying' AND e.detail->>'reason' = 'expired' AND e.at < p.kept_until`,
  );
  for (const row of early) violations.push(`previous database ${row.addon} retired inside its window`);

  const events = world.sim.events as unknown as SimEventLike[];
  const destroyed = new Set(
    events.filter((e) => e.type === 'addon.destroy_requested' || e.type === 'addon.destroyed').map((e) => field(e, 'addon', 'name') ?? ''),
  );
  const liveAddons = new Set(world.sim.addons().map((a) => a.name));
  for (const row of rows) {
    const gone = destroyed.has(row.addon_name) || !liveAddons.has(row.addon_name);
    if ((row.state === 'kept' || row.state === 'restoring') && gone)
      violations.push(`previous database ${row.addon_name} (${row.state}) is gone from Heroku`);
  }
  // Every destroyed database that was ever kept had its intent recorded: its newest record is on its way out or gone.
  const newest = new Map(rows.map((row) => [row.addon_name, row]));
  for (const [addon, row] of newest) {
    if (destroyed.has(addon) && row.state !== 'destroying' && row.state !== 'destroyed')
      violations.push(`previous database ${addon} destroyed while recorded as ${row.state}`);
  }

  const verified = await verifiedForks(world.control.url);
  const recorded = new Set(rows.map((row) => row.addon_name));
  for (const check of world.attachChecks) {
    if (check.addon !== world.oldStagingAddon && !recorded.has(check.addon) && !verified.has(check.addon))
      violations.push(`${check.addon} became DATABASE: not the old database, a previous one or a verified fork`);
  }
  return violations;
}

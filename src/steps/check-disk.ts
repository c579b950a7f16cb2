// Before anything is created: will the fork's plan hold the data, and masking's peak on top of it
// (docs/disk.md)? The source's size is what Heroku's data API reports for it (`num_bytes`); the
// plan's storage comes from refork's table of Heroku plans or the pipeline's `disk.storage_gb`.
// A source bigger than the plan is refused, naming a plan that holds it; a masking peak that would
// not fit is a warning (the engine then masks the tables that do not fit in stripes, slower).
import { diskOutlook, maskingRoom, STORAGE_RESERVE } from '../anonymize/index.js';
import { formatBytes } from '../bytes.js';
import { forkStorageBytes, smallestPlanHolding } from '../heroku/plan-storage.js';
import { sourceConnector } from './check-rules.js';
import type { StepDeps } from './deps.js';
import { StepError, type AddonRef, type DiskCheck } from './types.js';

export async function checkForkDisk(
  deps: StepDeps,
  source: AddonRef & { attachment: string },
  signal: AbortSignal,
): Promise<DiskCheck | undefined> {
  const disk = deps.disk;
  if (!disk) return undefined;
  const storageBytes = forkStorageBytes(disk);
  const info = await deps.heroku.databaseInfo(source.id, { signal });
  const sourceBytes = typeof info?.num_bytes === 'number' ? info.num_bytes : undefined;
  if (storageBytes === undefined) {
    return { warning: `refork does not know the storage of plan ${disk.plan}: set disk.storage_gb in refork.yml to check it` };
  }
  if (sourceBytes === undefined)
    return { storageBytes, warning: `Heroku did not report the size of ${source.name}: the fork's disk is unchecked` };
  if (sourceBytes > storageBytes) {
    const fits = smallestPlanHolding(sourceBytes, disk.plan);
    const fix = !fits
      ? 'no Heroku plan refork knows holds it; set disk.storage_gb if yours does'
      : fits.plan === disk.plan
        ? `Heroku's plan list gives ${disk.plan} ${formatBytes(fits.bytes)}: correct disk.storage_gb in refork.yml, or choose a larger plan`
        : `set plan: ${fits.plan} (${formatBytes(fits.bytes)}) in refork.yml`;
    throw new StepError(
      `source ${source.name} holds ${formatBytes(sourceBytes)}, more than the ${formatBytes(storageBytes)} of the fork plan ${disk.plan}: ${fix}`,
      'fork_plan_too_small',
    );
  }
  const room = maskingRoom({ storageBytes, ...(disk.budgetBytes === undefined ? {} : { budgetBytes: disk.budgetBytes }) }, sourceBytes);
  // The fast paths' peak (no limit), against the room: the engine stays within it either way, slower when it must.
  const connect = await sourceConnector(deps, { app: source.app, attachment: source.attachment }, signal);
  const client = await connect();
  let outlook;
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    outlook = await diskOutlook(client, deps.rules);
  } catch (error) {
    throw new StepError(
      `could not read the table sizes of ${source.name}: ${error instanceof Error ? error.message : String(error)}`,
      'disk_check_not_run',
      true,
    );
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
  const check: DiskCheck = { storageBytes, sourceBytes, peakBytes: outlook.peakBytes, ...(room === undefined ? {} : { roomBytes: room }) };
  if (room !== undefined && outlook.peakBytes > room) {
    const fits = smallestPlanHolding(sourceBytes + outlook.peakBytes / (1 - STORAGE_RESERVE), disk.plan);
    const largest = outlook.tables.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a));
    check.warning =
      `masking's peak (${formatBytes(outlook.peakBytes)} at ${largest.table}) would not fit the ${formatBytes(Math.max(0, room))} the fork has left: ` +
      `refork masks what does not fit in stripes, slower${fits ? `; plan ${fits.plan} (${formatBytes(fits.bytes)}) fits it` : ''} (\`refork plan\` shows each table)`;
  }
  const stuck = outlook.tables.find((table) => table.problem !== undefined && room !== undefined && table.peakBytes > room);
  if (stuck?.problem) check.warning = `masking would stop for lack of disk: ${stuck.problem}`;
  return check;
}

// Maintenance mode around the swap (docs/maintenance.md): the target app's `maintenance`
// attribute (docs/heroku-api.md#maintenance-mode), set just before promotion and cleared once
// the release phase is over. Each call sets the value, never toggles it, so a step repeated
// after a crash or a lost answer changes nothing.
import type { App } from '../heroku/types.js';
import { mutation, type StepDeps } from './deps.js';
import {
  StepError,
  type EnterMaintenanceInput,
  type EnterMaintenanceOutput,
  type LeaveMaintenanceInput,
  type LeaveMaintenanceOutput,
  type StepContext,
} from './types.js';

/**
 * First call (`found` null): only looks, and the machine persists what it found. A target
 * already in maintenance is a window of its owner's: refork leaves it as it is, now and at the
 * end. Otherwise the next call turns maintenance on.
 */
export async function enterMaintenance(
  deps: StepDeps,
  input: EnterMaintenanceInput,
  { signal, logger }: StepContext,
): Promise<EnterMaintenanceOutput> {
  const { heroku, clock } = deps;
  if (input.found === null) {
    const app = await heroku.getApp(input.app, { signal });
    if (!app) throw new StepError(`app ${input.app} not found (or the token cannot see it)`, 'app_not_found');
    const found = app.maintenance === true;
    if (found) logger.info('target already in maintenance: left as its owner set it', { app: input.app });
    return { found, on: found, at: clock.now() };
  }
  if (input.found) return { found: true, on: true, at: clock.now() };
  const app = await mutation(deps, 'maintenanceOn', () => heroku.setMaintenance(input.app, true, { signal }));
  confirm(app, input.app, true);
  logger.info('maintenance mode on', { app: input.app });
  return { found: false, on: true, at: clock.now() };
}

/** Called only when refork turned maintenance on itself. */
export async function leaveMaintenance(
  deps: StepDeps,
  input: LeaveMaintenanceInput,
  { signal, logger }: StepContext,
): Promise<LeaveMaintenanceOutput> {
  const app = await mutation(deps, 'maintenanceOff', () => deps.heroku.setMaintenance(input.app, false, { signal }));
  confirm(app, input.app, false);
  logger.info('maintenance mode off', { app: input.app });
  return { on: false, at: deps.clock.now() };
}

/** Heroku answers the app as it now is; anything else is retried (setting the value again is harmless). */
function confirm(app: App, name: string, on: boolean): void {
  if (app.maintenance !== on) {
    throw new StepError(
      `${name} still reads maintenance ${app.maintenance ? 'on' : 'off'} after setting it ${on ? 'on' : 'off'}`,
      'maintenance_unconfirmed',
      true,
    );
  }
}

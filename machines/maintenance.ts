// Maintenance mode around a swap of DATABASE (docs/maintenance.md), as both machines that swap
// it use it: a refresh's promotion and a rollback's. What refork found and did is part of the
// persisted context; these are the pure rules over that record, written once for both.
import type { EnterMaintenanceOutput, LeaveMaintenanceOutput } from '../src/steps/types.js';

/** What refork found and did to the target's maintenance mode; all of it persisted, so a resumed run knows. */
export interface MaintenanceRecord {
  /** The target was already in maintenance when refork looked (its owner's window, never turned off by refork); null before it looked. */
  found: boolean | null;
  /** Epoch ms when the target was confirmed in maintenance (null before). */
  onAt: number | null;
  /** Epoch ms when refork confirmed it out of maintenance again (null before, and for an owner's window). */
  offAt: number | null;
}

/** What a machine that swaps DATABASE keeps of maintenance mode: null when its pipeline does not use it. */
export interface WithMaintenance {
  targetApp: string;
  maintenance: MaintenanceRecord | null;
}

/** A run's record before it has looked: null without maintenance mode. */
export function initialMaintenance(maintenanceMode: boolean): MaintenanceRecord | null {
  return maintenanceMode ? { found: null, onAt: null, offAt: null } : null;
}

/** The first `enterMaintenance` only looked (the run enters the step again to set it on). */
export function onlyLooked(output: EnterMaintenanceOutput): boolean {
  return !output.on;
}

/** The record after an `enterMaintenance` step: the look, or the confirmed switch on. */
export function entered(output: EnterMaintenanceOutput): MaintenanceRecord {
  return { found: output.found, onAt: output.on ? output.at : null, offAt: null };
}

/** Refork may have turned maintenance on (it looked and found it off) and has not turned it off yet. */
export function maintenanceToLeave(context: WithMaintenance): boolean {
  return context.maintenance?.found === false && context.maintenance.offAt === null;
}

/** The record once Heroku confirmed the target out of maintenance. */
export function left(context: WithMaintenance, output: LeaveMaintenanceOutput): MaintenanceRecord | null {
  return context.maintenance && { ...context.maintenance, offAt: output.at };
}

/** The error of a run that could not leave maintenance: names the command that does, and what else it kept. */
export function leftOnMessage(context: WithMaintenance, failure: string, kept: string, cause: string): string {
  return `${failure}; ${context.targetApp} is still in maintenance: \`heroku maintenance:off -a ${context.targetApp}\`${kept}${cause}`;
}

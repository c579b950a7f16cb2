// Taking a run over the way a scheduler would: wait out a dead runner's lease, then resume with
// fresh processes until no run is active. Used by the crash suites and by any test whose runner
// may stop on a lease it could not renew on a loaded machine.
import { readControl, type World } from './world.js';

/** A killed runner's lease stays until it expires: wait for that (DB clock), not a doomed spawn. */
export async function leaseFree(world: World): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const held = await readControl(world, "SELECT 1 FROM refork_runs WHERE status = 'active' AND lease_expires_at > now()").catch(() => []);
    if (held.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('lease never expired');
}

/**
 * Resumes until no run is active: a fresh process once the dead one's lease expired, and again
 * if that one stopped early (a runner that missed its lease deadline on a loaded machine stops
 * on its own, as it must, and leaves the run to the next).
 */
export async function resume(world: World, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  let output = '';
  for (let attempt = 0; attempt < 6; attempt++) {
    await leaseFree(world);
    const result = await world.cli(['run', 'staging'], extraEnv);
    output = result.stdout + result.stderr;
    const active = await readControl(world, "SELECT 1 FROM refork_runs WHERE status = 'active'");
    if (active.length === 0) return output;
  }
  throw new Error(`run still active after 6 resumes; last output: ${output.trim().split('\n').at(-1) ?? ''}`);
}

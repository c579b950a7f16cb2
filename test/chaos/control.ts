// The control database as the chaos suites see it: migrated up front (so the harness can read
// it at any time) and reachable by refork only through a TCP proxy the test can take away.
import { createKnex, migrateToLatest } from '../../src/store/index.js';
import { readControl, type World } from '../support/world.js';
import { TcpProxy } from './proxy.js';

export async function migrateControl(url: string): Promise<void> {
  const knex = createKnex(url);
  try {
    await migrateToLatest(knex);
  } finally {
    await knex.destroy();
  }
}

/** A proxy in front of the world's control database, and the env that points refork at it. */
export async function proxiedControl(world: World): Promise<{ proxy: TcpProxy; env: NodeJS.ProcessEnv }> {
  await migrateControl(world.control.url);
  const control = new URL(world.control.url);
  const proxy = await TcpProxy.start({ host: control.hostname, port: Number(control.port) });
  return { proxy, env: { REFORK_DATABASE_URL: proxy.url(world.control.url) } };
}

/** The active run's state, read directly (not through the proxy). */
export async function activeState(world: World): Promise<string | null> {
  const rows = await readControl<{ state: string }>(world, "SELECT state FROM refork_runs WHERE status = 'active'").catch(() => []);
  return rows[0]?.state ?? null;
}

export { until } from '../support/world.js';

/** Lines a process printed itself: stdout plus stderr lines that are not JSON log lines. */
export function ownLines(result: { stdout: string; stderr: string }): string[] {
  return [...result.stdout.split('\n'), ...result.stderr.split('\n').filter((l) => !l.startsWith('{'))].filter((l) => l.trim() !== '');
}

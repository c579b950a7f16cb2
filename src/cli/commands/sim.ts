import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config/errors.js';
import { registerSecret } from '../../log/redact.js';
import { loadFixture, startSimulator } from '../../sim/index.js';

export interface SimOptions {
  postgresUrl: string;
  port: number;
  token: string;
  provisionDelay: number;
  fixture?: string;
}

/** `refork sim`: serve the simulator until SIGTERM/SIGINT, then drop its databases. */
export async function simCommand(options: SimOptions): Promise<number> {
  registerSecret(options.token);
  let fixture: unknown;
  if (options.fixture) {
    try {
      fixture = parseYaml(await readFile(options.fixture, 'utf8'));
    } catch {
      throw new ConfigError(`--fixture ${options.fixture}: cannot be read as JSON or YAML`);
    }
  }
  const sim = await startSimulator({
    postgresUrl: options.postgresUrl,
    port: options.port,
    token: options.token,
    provisionDelayMs: options.provisionDelay,
  });
  if (fixture) await loadFixture(sim, fixture);
  console.log(`Heroku simulator listening on ${sim.url}: set HEROKU_API_URL and HEROKU_DATA_API_URL to it, HEROKU_API_KEY to the token`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await sim.close();
  return 0;
}

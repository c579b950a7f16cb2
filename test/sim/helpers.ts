// Shared set-up for the simulator suite: a simulator on the suite's PostgreSQL, plain fetch
// calls with Heroku's headers, and bounded polling (no timing asserts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { serverUrl } from '../support/databases.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

export const TOKEN = `sim-token-${randomBytes(6).toString('hex')}`;
export const ACCEPT = 'application/vnd.heroku+json; version=3';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function startSim(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({
    postgresUrl: serverUrl(),
    token: TOKEN,
    provisionDelayMs: 30,
    dataApi404Ms: 30,
    waitingMs: 30,
    deprovisionDelayMs: 30,
    releaseDelayMs: 30,
    ...options,
  });
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = unknown>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      Accept: ACCEPT,
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
}

/** An app's attachments as sorted `NAME->addon` lines: what a test compares. */
export function attachmentsOf(sim: Simulator, app: string): string[] {
  return sim
    .attachments(app)
    .map((attachment) => `${attachment.name}->${attachment.addon.name}`)
    .sort();
}

/** Polls until `check` returns a value (not undefined), at most `attempts` times. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, attempts = 200, intervalMs = 25): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not reached after ${attempts} attempts`);
}

export interface AddonBody {
  id: string;
  name: string;
  state: string;
  app: { id: string; name: string };
  plan: { name: string };
  config_vars: string[];
}

export interface AttachmentBody {
  id: string;
  name: string;
  namespace: string | null;
  addon: { id: string; name: string; app: { id: string; name: string } };
  app: { id: string; name: string };
}

export interface ErrorBody {
  id: string;
  message: string;
  resource?: string;
}

/** Waits for the add-on to leave `provisioning` and returns its final body. */
export async function settled(sim: Simulator, app: string, addon: string): Promise<AddonBody> {
  return eventually(async () => {
    const answer = await api<AddonBody>(sim, 'GET', `/apps/${app}/addons/${addon}`);
    return answer.body.state === 'provisioning' ? undefined : answer.body;
  });
}

export async function waitAvailable(sim: Simulator, addonId: string): Promise<void> {
  await eventually(async () => {
    const answer = await api<{ 'waiting?': boolean }>(sim, 'GET', `/client/v11/databases/${addonId}/wait_status`);
    return answer.status === 200 && answer.body['waiting?'] === false ? true : undefined;
  });
}

export async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(serverUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length === 1;
}

export const SEED_SQL = `
  CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
  INSERT INTO customers (email) VALUES ('ada@example.com'), ('grace@example.com');
  CREATE VIEW customer_emails AS SELECT email FROM customers;
`;

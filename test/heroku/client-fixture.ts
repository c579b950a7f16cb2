// Builds a client pointed at a fake Heroku, recording backoff delays and log lines instead of
// sleeping and printing.
import { RateBudget } from '../../src/heroku/budget.js';
import { createHerokuClient, type HerokuClient, type HerokuClientOptions } from '../../src/heroku/client.js';
import { capturedLog } from '../support/log.js';
import type { FakeHeroku } from './fake-heroku.js';

export const TOKEN = 'hrku-test-token-5f0c9a7e-4b1d';

export interface ClientUnderTest {
  client: HerokuClient;
  /** Every backoff the client asked to sleep, in ms. */
  delays: number[];
  /** Every log line written so far, as raw JSON text. */
  logText: () => string;
}

export function clientFor(fake: FakeHeroku, overrides: Partial<HerokuClientOptions> = {}): ClientUnderTest {
  const delays: number[] = [];
  const log = capturedLog('debug');
  const client = createHerokuClient({
    token: TOKEN,
    apiUrl: fake.url,
    dataApiUrl: `${fake.url}/`,
    timeoutMs: 2_000,
    logger: log.logger,
    random: () => 0.5,
    // A budget per client: one test's 429 must not hold the next test's calls.
    budget: new RateBudget(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      delays.push(ms);
    },
    ...overrides,
  });
  return { client, delays, logText: log.text };
}

/** A schema-shaped add-on, as Heroku answers it (only the fields tests read vary). */
export function addonBody(name: string, state = 'provisioning'): Record<string, unknown> {
  return {
    actions: [],
    addon_service: { id: '6d2e1f3a-0000-4000-8000-000000000001', name: 'heroku-postgresql' },
    app: { id: '6d2e1f3a-0000-4000-8000-000000000002', name: 'stg' },
    billing_entity: { id: '6d2e1f3a-0000-4000-8000-000000000002', name: 'stg', type: 'app' },
    billed_price: { cents: 5000, contract: false, unit: 'month' },
    config_vars: [],
    created_at: '2026-11-25T00:00:00Z',
    id: `id-${name}`,
    name,
    plan: { id: '6d2e1f3a-0000-4000-8000-000000000003', name: 'heroku-postgresql:standard-0' },
    provider_id: 'resource1',
    state,
    updated_at: '2026-11-25T00:00:00Z',
    web_url: null,
  };
}

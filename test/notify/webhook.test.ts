// Notifications as a receiver sees them: Slack's shape or a generic JSON event, and, with a
// secret, a signature a receiver can check (and that a changed body or an old timestamp fails).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/environment.js';
import { createLogger } from '../../src/log/logger.js';
import { redact } from '../../src/log/redact.js';
import { SIGNATURE_HEADER, verifySignature, webhookNotifier, type RunNotice } from '../../src/notify/webhook.js';

const SECRET = 'whsec-test-0123456789abcdef';
const NOTICE: RunNotice = {
  id: 'notice-7c0e0f7e-succeeded',
  kind: 'succeeded',
  pipeline: 'staging',
  runId: '7c0e0f7e-0000-4000-8000-000000000001',
  state: 'succeeded',
  error: null,
  elapsedMs: 61_000,
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A receiver that keeps each request's headers and raw body. */
async function receiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A receiver's own check, written from the documented scheme alone (docs/notifications.md), not refork's code. */
function receiverAccepts(header: string, rawBody: string, nowSeconds: number): boolean {
  const fields = new Map(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(fields.get('t'));
  const expected = createHmac('sha256', SECRET).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(nowSeconds - t) <= 300;
}

const logger = createLogger({ silent: true });

describe('the webhook', () => {
  it('sends a signed generic JSON event that a receiver verifies, and a changed body or a replay fails', async () => {
    const hook = await receiver();
    const sentAt = new Date('2026-11-30T03:00:00Z');
    expect(await webhookNotifier(hook.url, { logger, format: 'json', secret: SECRET, now: () => sentAt }).send(NOTICE)).toBe(true);
    const [request] = hook.received;
    const header = String(request?.headers[SIGNATURE_HEADER]);
    const body = request?.body ?? '';
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(body)).toEqual({
      type: 'run.succeeded',
      ...NOTICE,
      text: expect.stringMatching(/^refork: staging refreshed/),
      sentAt: sentAt.toISOString(),
    });

    const at = sentAt.getTime() / 1000;
    expect(receiverAccepts(header, body, at + 10)).toBe(true);
    expect(receiverAccepts(header, body.replace('"staging"', '"production"'), at + 10)).toBe(false);
    expect(receiverAccepts(header, body, at + 3_600)).toBe(false);
    // The helper refork documents for receivers says the same, with its reason.
    expect(verifySignature(SECRET, header, body, { nowSeconds: at + 10 })).toEqual({ ok: true, timestamp: at });
    expect(verifySignature(SECRET, header, `${body} `, { nowSeconds: at })).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifySignature('another-secret-0123456789', header, body, { nowSeconds: at })).toMatchObject({ ok: false });
    expect(verifySignature(SECRET, header, body, { nowSeconds: at + 301 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/replay/),
    });
    expect(verifySignature(SECRET, undefined, body)).toMatchObject({ ok: false });
  });

  it("keeps Slack's shape by default, unsigned without a secret, and passes every field of the notice on", async () => {
    const hook = await receiver();
    const withId: RunNotice = { ...NOTICE, kind: 'failed', error: 'verification failed', id: 'notice-42' };
    await webhookNotifier(hook.url, { logger }).send(withId);
    const [request] = hook.received;
    expect(request?.headers[SIGNATURE_HEADER]).toBeUndefined();
    const body = JSON.parse(request?.body ?? '{}') as { text: string; refork: Record<string, unknown> };
    expect(body.text).toMatch(/FAILED in succeeded/);
    expect(body.refork).toEqual({ ...withId });
  });

  it('reads the format and secret from the environment, refusing a bad one in one line, and redacts the secret', () => {
    const base = {
      HEROKU_API_KEY: 'token-0123456789',
      REFORK_DATABASE_URL: 'postgres://u:p@localhost/db',
      REFORK_ANONYMIZE_KEY: 'k'.repeat(32),
    };
    const env = readEnvironment({ ...base, REFORK_WEBHOOK_FORMAT: 'json', REFORK_WEBHOOK_SECRET: SECRET });
    expect(env).toMatchObject({ webhookFormat: 'json', webhookSecret: SECRET });
    expect(redact(`secret ${SECRET}`)).toBe('secret ***');
    expect(readEnvironment(base)).toMatchObject({ webhookFormat: 'slack', webhookSecret: null });
    expect(() => readEnvironment({ ...base, REFORK_WEBHOOK_FORMAT: 'xml' })).toThrow(
      /^REFORK_WEBHOOK_FORMAT is "xml": set it to slack or json, or unset it$/,
    );
    expect(() => readEnvironment({ ...base, REFORK_WEBHOOK_SECRET: 'short' })).toThrow(/REFORK_WEBHOOK_SECRET is too short/);
  });
});

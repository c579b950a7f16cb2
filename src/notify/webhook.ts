// Run notifications to a webhook, in one of two shapes: Slack's (`text`, plus the facts under
// `refork`) or a generic JSON event. With a secret, every request is signed the way Stripe signs
// its webhooks (docs/notifications.md): `Refork-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<body>">`, so a receiver can check who sent it and refuse a replay. A failure to notify
// is logged and never fails or delays the run beyond a short timeout.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { redact } from '../log/redact.js';
import type { NoticeKind } from '../store/types.js';
import { formatDuration } from '../status/format.js';

export interface RunNotice {
  /** The same on every attempt to send this notice: a receiver that sees it twice can drop the repeat. */
  id: string;
  kind: NoticeKind;
  pipeline: string;
  runId: string;
  state: string;
  error: string | null;
  /** Since the run started. */
  elapsedMs: number;
}

export interface Notifier {
  /** `true` once the receiver accepted it; `false` (logged) when it should be tried again later. */
  send(notice: RunNotice): Promise<boolean>;
}

/** Without a webhook there is nobody to tell: every notice counts as delivered. */
export const noNotifier: Notifier = { send: async () => true };

/** `slack`: `{ text, refork }` for a Slack incoming webhook; `json`: the notice itself, as a generic event. */
export type WebhookFormat = 'slack' | 'json';

export const SIGNATURE_HEADER = 'refork-signature';
/** How old a signed request a receiver should still accept (Stripe's libraries default to the same). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function noticeText(notice: RunNotice): string {
  const took = formatDuration(notice.elapsedMs);
  switch (notice.kind) {
    case 'succeeded':
      return `refork: ${notice.pipeline} refreshed from production in ${took} (run ${notice.runId})`;
    case 'aborted':
      return `refork: ${notice.pipeline} refresh aborted after ${took}; staging untouched (run ${notice.runId})`;
    case 'stuck':
      return `refork: ${notice.pipeline} refresh still in ${notice.state} after ${took}${notice.error ? ` (last error: ${notice.error})` : ''} (run ${notice.runId}); see \`refork status ${notice.pipeline}\``;
    case 'failed':
      return `refork: ${notice.pipeline} refresh FAILED in ${notice.state} after ${took}: ${notice.error ?? 'unknown error'} (run ${notice.runId})`;
  }
}

/** The request body. Every field of the notice is passed on as it is (its `id` among them), the error redacted. */
export function noticeBody(notice: RunNotice, format: WebhookFormat, sentAt: Date): string {
  const facts = { ...notice, error: notice.error && redact(notice.error) };
  const text = redact(noticeText(notice));
  if (format === 'slack') return JSON.stringify({ text, refork: facts });
  return JSON.stringify({ type: `run.${notice.kind}`, ...facts, text, sentAt: sentAt.toISOString() });
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, `${timestampSeconds}.${body}`)}`;
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * What a receiver does (docs/notifications.md): take `t` and every `v1` from the header, compute
 * the HMAC over `<t>.<raw body>` with the shared secret, compare in constant time, and refuse a
 * timestamp further than `toleranceSeconds` from its own clock (a replayed request).
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (!Number.isInteger(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed signature header' };
  const expected = Buffer.from(hmacHex(secret, `${timestamp}.${rawBody}`), 'hex');
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'signature does not match' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
    return { ok: false, reason: 'timestamp outside the tolerance (a replay?)' };
  return { ok: true, timestamp };
}

export interface WebhookOptions {
  logger: Logger;
  timeoutMs?: number;
  format?: WebhookFormat;
  /** Signs every request when set (REFORK_WEBHOOK_SECRET). */
  secret?: string | null;
  /** For tests: the clock the timestamp is read from. */
  now?: () => Date;
}

export function webhookNotifier(url: string, options: WebhookOptions): Notifier {
  const format = options.format ?? 'slack';
  const now = options.now ?? (() => new Date());
  return {
    async send(notice) {
      try {
        const sentAt = now();
        const body = noticeBody(notice, format, sentAt);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (options.secret) headers[SIGNATURE_HEADER] = signatureHeader(options.secret, body, Math.floor(sentAt.getTime() / 1000));
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
        });
        if (!response.ok) options.logger.warn('notification not accepted', { status: response.status, kind: notice.kind });
        return response.ok;
      } catch (error) {
        options.logger.warn('notification failed', {
          kind: notice.kind,
          error: redact(error instanceof Error ? error.message : String(error)),
        });
        return false;
      }
    },
  };
}

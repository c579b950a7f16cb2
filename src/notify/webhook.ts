// Run notifications to a webhook (Slack-compatible `text`, plus the facts as JSON). A failure
// to notify is logged and never fails or delays the run beyond a short timeout.
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

export function webhookNotifier(url: string, options: { logger: Logger; timeoutMs?: number }): Notifier {
  return {
    async send(notice) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: redact(noticeText(notice)), refork: { ...notice, error: notice.error && redact(notice.error) } }),
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

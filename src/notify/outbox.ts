// Sends the notices runs owe (docs/design.md#notifications). Each is recorded in the control
// database before it is sent (a run's end with its final transition; `stuck` once), taken by
// one process for a while, and marked delivered only once the webhook accepted it. A process
// killed between sending and marking leaves it to be sent again, with the same id, once its
// hold runs out: at least once, never lost, and a receiver can tell a repeat by the id.
import type { Boundary } from '../boundary.js';
import type { Logger } from '../log/logger.js';
import type { ControlStore, OwedNotice } from '../store/types.js';
import type { Notifier } from './webhook.js';

/** A webhook down for this long is given up on; its notices stay recorded, undelivered. */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Retries of an undelivered notice: from a minute, doubling, at most hourly. */
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
/** Taken this many at a time. */
const BATCH = 10;

export interface Outbox {
  /** Sends what is owed and due (of one run, or of every run); resolves with how many were delivered. */
  deliver(filter?: { runId?: string }): Promise<number>;
}

export interface OutboxDeps {
  store: ControlStore;
  notifier: Notifier;
  logger: Logger;
  boundary: Boundary;
  /** How long a taken notice is this process's to send; longer than a send may take. */
  holdMs: number;
}

export function notificationOutbox(deps: OutboxDeps): Outbox {
  return {
    async deliver(filter = {}) {
      let delivered = 0;
      for (;;) {
        const owed = await deps.store.takeOwedNotices({ ...filter, limit: BATCH, holdMs: deps.holdMs });
        if (owed.length === 0) return delivered;
        for (const notice of owed) if (await sendOne(deps, notice)) delivered += 1;
      }
    },
  };
}

async function sendOne(deps: OutboxDeps, notice: OwedNotice): Promise<boolean> {
  const { id, kind, pipeline, runId, state, error, elapsedMs } = notice;
  const accepted = await deps.notifier.send({ id, kind, pipeline, runId, state, error, elapsedMs });
  deps.boundary(`notify:${kind}:sent`);
  if (accepted) {
    await deps.store.settleNotice(id, { delivered: true });
    return true;
  }
  if (notice.ageMs >= GIVE_UP_AFTER_MS) {
    deps.logger.warn('notification given up', { kind, runId, attempts: notice.attempts });
    await deps.store.settleNotice(id, { delivered: false, giveUp: true });
  } else {
    await deps.store.settleNotice(id, { delivered: false, retryInMs: Math.min(RETRY_BASE_MS * 2 ** (notice.attempts - 1), RETRY_MAX_MS) });
  }
  return false;
}

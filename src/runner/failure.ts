// Turns whatever an effect threw into the plain, redacted StepFailure the snapshot stores
// (an Error object would serialize to `{}`), and decides whether trying again could help.
import { redact } from '../log/redact.js';
import type { StepFailure } from '../steps/types.js';

const TRANSIENT_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

function isTransientDatabaseError(code: string): boolean {
  // SQLSTATE class 08 (connection), 57P01-57P03 (admin shutdown, crash, cannot connect now), 53300 (too many connections).
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

// A lost database session as it reads when no SQLSTATE came with it (pg's own client errors,
// socket errors under a wrapped message): the fork's per-table ledger makes a retry safe.
const LOST_CONNECTION =
  /Connection terminated|Client has encountered a connection error|terminating connection due to administrator command|server closed the connection unexpectedly|Connection reset|ECONNRESET|ECONNREFUSED|the database system is (starting up|shutting down|in recovery mode)/i;

export function toStepFailure(error: unknown, step: string, at: number): StepFailure {
  const message = redact(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
  const fields = (error && typeof error === 'object' ? error : {}) as {
    code?: unknown;
    id?: unknown;
    retryable?: unknown;
    problems?: unknown;
  };
  const code = typeof fields.id === 'string' ? fields.id : typeof fields.code === 'string' ? fields.code : 'error';
  let retryable: boolean;
  if (typeof fields.retryable === 'boolean') retryable = fields.retryable;
  else retryable = TRANSIENT_ERRNO.has(code) || isTransientDatabaseError(code) || LOST_CONNECTION.test(message);
  const problems = Array.isArray(fields.problems) ? fields.problems.filter((p): p is string => typeof p === 'string').map(redact) : [];
  return { step, message, code, retryable, at, ...(problems.length > 0 ? { problems } : {}) };
}

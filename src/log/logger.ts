// One JSON line per event on stderr (Heroku log drains parse it), secrets redacted in every field.
import winston from 'winston';
import { progressStream } from './progress.js';
import { redact, redactValue } from './redact.js';

export type Logger = winston.Logger;

const scrub = winston.format((info) => {
  const out = redactValue({ ...info });
  if (typeof info.message === 'string') out.message = redact(info.message);
  // winston keeps level/message under symbols too; carry them over untouched.
  for (const symbol of Object.getOwnPropertySymbols(info)) {
    (out as Record<symbol, unknown>)[symbol] = (info as Record<symbol, unknown>)[symbol];
  }
  return out;
});

export function createLogger(options: { level?: string; silent?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] });
  return winston.createLogger({
    level: options.level ?? process.env.REFORK_LOG_LEVEL ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(scrub(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}

/**
 * What a command logs to: JSON lines (for log drains) unless stderr is a terminal, where a
 * person gets one readable line per step instead. REFORK_LOG_FORMAT=json forces JSON.
 */
export function commandLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  if (process.stderr.isTTY && env.REFORK_LOG_FORMAT !== 'json') {
    return createLogger({ stream: progressStream((line) => process.stderr.write(`${line}\n`), Date.now()) });
  }
  return createLogger();
}

/** A logger that writes nowhere, for tests and library use. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}

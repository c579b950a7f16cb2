// The environment refork reads: credentials and endpoints. Secrets are registered for
// redaction the moment they are read.
import { registerSecret } from '../log/redact.js';
import type { WebhookFormat } from '../notify/webhook.js';
import { ConfigError } from './errors.js';

export interface Environment {
  herokuApiKey: string;
  controlDatabaseUrl: string;
  herokuApiUrl: string;
  herokuDataApiUrl: string;
  anonymizeKey: string;
  configPath: string;
  /** Where run notifications go (Slack incoming webhook or any JSON endpoint); a secret. */
  webhookUrl: string | null;
  /** `slack` (default) or `json` (REFORK_WEBHOOK_FORMAT). */
  webhookFormat: WebhookFormat;
  /** Signs every notification (REFORK_WEBHOOK_SECRET, docs/notifications.md); a secret. */
  webhookSecret: string | null;
}

function need(env: NodeJS.ProcessEnv, name: string, fix: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: ${fix}`);
  return value;
}

function url(name: string, value: string): string {
  try {
    return new URL(value).toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(`${name} is not a URL: set it to e.g. https://api.heroku.com`);
  }
}

/**
 * Only the control database: enough for `refork migrate`. Deployed as its own Heroku app,
 * refork's control database is that app's DATABASE_URL; preflight refuses it if it is the
 * target's database.
 */
export function readControlDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const controlDatabaseUrl = env.REFORK_DATABASE_URL?.trim() || env.DATABASE_URL?.trim();
  if (!controlDatabaseUrl) {
    throw new ConfigError("REFORK_DATABASE_URL is not set: set it to the control database's URL (never the target's DATABASE_URL)");
  }
  if (!/^postgres(ql)?:\/\//.test(controlDatabaseUrl)) {
    throw new ConfigError('REFORK_DATABASE_URL is not a postgres:// URL: set it to the control database URL');
  }
  registerSecret(safePassword(controlDatabaseUrl));
  return controlDatabaseUrl;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const herokuApiKey = need(env, 'HEROKU_API_KEY', 'set it to a token from `heroku authorizations:create`');
  registerSecret(herokuApiKey);
  const controlDatabaseUrl = readControlDatabaseUrl(env);
  const anonymizeKey = need(
    env,
    'REFORK_ANONYMIZE_KEY',
    'set it to a long random secret (e.g. `openssl rand -hex 32`); it keys every pseudonym',
  );
  if (anonymizeKey.length < 16)
    throw new ConfigError('REFORK_ANONYMIZE_KEY is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)');
  registerSecret(anonymizeKey);
  return {
    herokuApiKey,
    controlDatabaseUrl,
    herokuApiUrl: url('HEROKU_API_URL', env.HEROKU_API_URL?.trim() || 'https://api.heroku.com'),
    herokuDataApiUrl: url('HEROKU_DATA_API_URL', env.HEROKU_DATA_API_URL?.trim() || 'https://api.data.heroku.com'),
    anonymizeKey,
    configPath: env.REFORK_CONFIG?.trim() || 'refork.yml',
    webhookUrl: webhook(env.REFORK_WEBHOOK_URL),
    webhookFormat: webhookFormat(env.REFORK_WEBHOOK_FORMAT),
    webhookSecret: webhookSecret(env.REFORK_WEBHOOK_SECRET),
  };
}

function webhookFormat(value: string | undefined): WebhookFormat {
  const format = value?.trim() || 'slack';
  if (format !== 'slack' && format !== 'json')
    throw new ConfigError(`REFORK_WEBHOOK_FORMAT is "${format.slice(0, 20)}": set it to slack or json, or unset it`);
  return format;
}

function webhookSecret(value: string | undefined): string | null {
  const secret = value?.trim();
  if (!secret) return null;
  if (secret.length < 16)
    throw new ConfigError('REFORK_WEBHOOK_SECRET is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)');
  registerSecret(secret);
  return secret;
}

function safePassword(connectionString: string): string | undefined {
  try {
    return decodeURIComponent(new URL(connectionString).password) || undefined;
  } catch {
    return undefined;
  }
}

function webhook(value: string | undefined): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (!/^https?:\/\//.test(trimmed))
    throw new ConfigError('REFORK_WEBHOOK_URL is not an http(s) URL: set it to the webhook address, or unset it');
  // Webhook URLs carry their credential in the path (Slack's do).
  registerSecret(trimmed);
  return trimmed;
}

// refork.yml: the pipelines (source app, target app, plan, schedule, anonymization rules).
// Validated as a whole before anything else runs, so a typo never gets as far as Heroku.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_RETRY } from '../../machines/refresh.js';
import { parseRules, type AnonymizeRules } from '../anonymize/index.js';
import { GB } from '../bytes.js';
import { validateSchedule } from '../schedule/index.js';
import { ConfigError } from './errors.js';
import { fileFixups, listedFixups } from './fixups.js';

export interface PipelineConfig {
  name: string;
  source: { app: string; database: string };
  target: { app: string };
  /**
   * The app the fork is created on, masked and verified on before it is attached to the
   * target: the `fork_app` of the pipeline or of the file, else the target itself (whose
   * collaborators can then read the unmasked fork until it is promoted: docs/fork-app.md).
   */
  forkApp: string;
  /** Anyone who can reach the fork app's data but not production's: `warn` (doctor) or `refuse` (no run). */
  forkAppAccess: ForkAppAccessPolicy;
  /** Plan of the fork, e.g. `heroku-postgresql:standard-0`. */
  plan: string;
  /** Heroku's fast fork: quicker, but up to 30 hours old. */
  fast: boolean;
  schedule: { cron: string; timezone: string } | null;
  /** How long a fork may take to become available before the run gives up and cleans up. */
  maxWaitMinutes: number;
  /** How long anonymizing, verifying, promoting and cleaning ride out lost connections and API errors. */
  retryWindowMinutes: number;
  disk: DiskConfig;
  /** The target goes into maintenance mode just before promotion and leaves it once its release phase is over (docs/maintenance.md). */
  maintenance: boolean;
  /**
   * How long the database a refresh replaces stays on the target (under REFORK_PREVIOUS) for
   * `refork rollback`, in ms; null: it is destroyed at once (docs/rollback.md).
   */
  keepPreviousMs: number | null;
  anonymize: AnonymizeRules;
  /** SQL statements run in order inside the masked fork before verification (docs/fixups.md); [] when none. */
  fixups: string[];
}

/** The fork's disk (docs/disk.md): what refork knows of it beyond Heroku's plan list. */
export interface DiskConfig {
  /** The fork plan's storage in bytes, when set: overrides refork's table of Heroku plans. */
  storageBytes?: number;
  /** The most extra disk masking may use at its peak, in bytes; default: the fork's free space. */
  budgetBytes?: number;
}
export type ForkAppAccessPolicy = 'warn' | 'refuse';

export interface ReforkConfig {
  pipelines: Record<string, PipelineConfig>;
  /** A run still active after this long is reported as stuck (once). */
  stuckAfterMinutes: number;
  /** Apps refork must never replace the database of (production, for one). */
  protectedApps: string[];
  /** Monthly USD per add-on plan, over refork's defaults, for the estimated cost in `report` and `history` (docs/report.md#cost). */
  prices: Record<string, number>;
}

const APP_NAME = /^[a-z][a-z0-9-]{1,29}$/;
const appName = (what: string) =>
  z.string({ error: `required: the ${what} Heroku app name` }).regex(APP_NAME, {
    error: `must be a Heroku app name (lowercase letters, digits and dashes, starting with a letter)`,
  });

const sourceSchema = z.union([
  appName('source').transform((app) => ({ app, database: 'DATABASE' })),
  z.strictObject({
    app: appName('source'),
    database: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'must be an attachment name such as DATABASE or an add-on name' })
      .default('DATABASE'),
  }),
]);

/** `90m`, `24h`, `2d`: a whole number of minutes, hours or days. */
const DURATION = /^(\d{1,6})(m|h|d)$/;
const DURATION_HINT =
  'must be a duration such as 90m, 24h or 2d (minutes, hours or days), or left out to destroy the replaced database at once';
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function durationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) return 0;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

const pipelineSchema = z.strictObject({
  source: sourceSchema,
  target: z.union([appName('target').transform((app) => ({ app })), z.strictObject({ app: appName('target') })]),
  plan: z
    .string()
    .regex(/^heroku-postgresql:[a-z0-9-]+$/, { error: 'must be a heroku-postgresql plan such as heroku-postgresql:standard-0' })
    .default('heroku-postgresql:standard-0'),
  fast: z.boolean({ error: 'must be true or false' }).default(false),
  schedule: z.string({ error: 'must be a cron expression such as "0 3 * * *"' }).optional(),
  timezone: z.string().default('UTC'),
  max_wait_minutes: z.number().int().positive().default(720),
  retry_window_hours: z
    .number({ error: 'must be a number of hours' })
    .positive()
    .default(DEFAULT_RETRY.windowMinutes / 60),
  disk: z
    .strictObject({
      storage_gb: z.number({ error: 'must be a number of gigabytes' }).positive().optional(),
      budget_gb: z.number({ error: 'must be a number of gigabytes' }).positive().optional(),
    })
    .default({}),
  fork_app: appName('fork').optional(),
  fork_app_access: z.enum(['warn', 'refuse'], { error: 'must be warn or refuse' }).default('warn'),
  maintenance: z.boolean({ error: 'must be true or false (true puts the target in maintenance mode around the swap)' }).default(false),
  keep_previous: z
    .string({ error: DURATION_HINT })
    .regex(DURATION, { error: DURATION_HINT })
    .transform(durationMs)
    .refine((ms) => ms > 0, { error: DURATION_HINT })
    .optional(),
  anonymize: z.unknown(),
  fixups: z
    .array(z.string({ error: 'must be an SQL statement (quote it in YAML)' }), { error: 'must be a list of SQL statements' })
    .optional(),
  /** Read, and replaced by `fixups`, in loadConfig (withFixupFiles). */
  fixups_file: z.string({ error: 'must be the path of a file of SQL statements' }).optional(),
});

const configSchema = z.strictObject({
  pipelines: z.record(
    z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: 'pipeline names are lowercase letters, digits and dashes' }),
    pipelineSchema,
    { error: 'required: a map of pipeline name to its settings' },
  ),
  protected_apps: z.array(appName('protected')).default([]),
  fork_app: appName('fork').optional(),
  notify: z.strictObject({ stuck_after_minutes: z.number().positive().default(360) }).default({ stuck_after_minutes: 360 }),
  prices: z
    .record(
      z.string().regex(/^heroku-postgresql:[a-z0-9-]+$/, { error: 'price keys are plans such as heroku-postgresql:standard-0' }),
      z.number({ error: 'must be US dollars a month, e.g. 50' }).nonnegative(),
    )
    .default({}),
});

/** Turns the first zod issue into `file: path.to.key: what is wrong`. */
function firstIssue(file: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const path =
    issue?.path.map(String).reduce<string>((where, key, i) => (i === 0 && PLAIN_KEY.test(key) ? key : pathChild(where, key)), '') ||
    '(top level)';
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys')
    message = `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: remove it or check its spelling`;
  // A key written by the user can hold a newline; the error stays one line whatever it holds.
  return new ConfigError(`${file}: ${path}: ${message}`.replace(/[\r\n]+/g, ' '));
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `a.b` for plain keys, `a["odd key"]` otherwise (quotes, spaces and newlines escaped). */
function pathChild(where: string, key: string): string {
  if (/^\d+$/.test(key)) return `${where}[${key}]`;
  return PLAIN_KEY.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

export function parseConfig(document: unknown, file = 'refork.yml'): ReforkConfig {
  const parsed = configSchema.safeParse(document);
  if (!parsed.success) throw firstIssue(file, parsed.error);
  const pipelines: Record<string, PipelineConfig> = {};
  const entries = Object.entries(parsed.data.pipelines);
  for (const [name, raw] of entries) {
    const where = `${file}: pipelines.${name}`;
    if (raw.source.app === raw.target.app) {
      throw new ConfigError(`${where}.target.app: equals the source app; the target must be a separate staging app`);
    }
    if (parsed.data.protected_apps.includes(raw.target.app)) {
      throw new ConfigError(`${where}.target.app: "${raw.target.app}" is in protected_apps; refork never replaces its database`);
    }
    const forkApp = raw.fork_app ?? parsed.data.fork_app;
    if (forkApp !== undefined) {
      const key = raw.fork_app === undefined ? `${file}: fork_app` : `${where}.fork_app`;
      checkForkApp(forkApp, key, name, raw, entries, parsed.data.protected_apps);
    }
    if (raw.schedule) {
      try {
        validateSchedule(raw.schedule, raw.timezone);
      } catch (error) {
        throw new ConfigError(`${where}.schedule: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (raw.anonymize === undefined) {
      throw new ConfigError(`${where}.anonymize: required: the anonymization rules (a fork is never promoted unmasked)`);
    }
    if (raw.fixups_file !== undefined)
      throw new ConfigError(`${where}.fixups_file: was not read (${raw.fixups_file}): load the config with loadConfig`);
    const fixups = listedFixups(raw.fixups ?? []);
    if ('problem' in fixups) throw new ConfigError(`${where}.fixups${fixups.problem}`.replace(/[\r\n]+/g, ' '));
    pipelines[name] = {
      name,
      source: raw.source,
      target: raw.target,
      plan: raw.plan,
      fast: raw.fast,
      schedule: raw.schedule ? { cron: raw.schedule, timezone: raw.timezone } : null,
      maxWaitMinutes: raw.max_wait_minutes,
      retryWindowMinutes: raw.retry_window_hours * 60,
      disk: {
        ...(raw.disk.storage_gb === undefined ? {} : { storageBytes: Math.round(raw.disk.storage_gb * GB) }),
        ...(raw.disk.budget_gb === undefined ? {} : { budgetBytes: Math.round(raw.disk.budget_gb * GB) }),
      },
      forkApp: forkApp ?? raw.target.app,
      forkAppAccess: raw.fork_app_access,
      maintenance: raw.maintenance,
      keepPreviousMs: raw.keep_previous ?? null,
      anonymize: parseRules(raw.anonymize, `${where}.anonymize`),
      fixups: fixups.statements,
    };
  }
  return {
    pipelines,
    protectedApps: parsed.data.protected_apps,
    stuckAfterMinutes: parsed.data.notify.stuck_after_minutes,
    prices: parsed.data.prices,
  };
}

/**
 * The fork app holds unmasked copies of production: it must be an app of its own, which no
 * pipeline replaces or forks from and which is not protected (refork creates add-ons there).
 */
function checkForkApp(
  forkApp: string,
  key: string,
  pipeline: string,
  raw: { source: { app: string }; target: { app: string } },
  all: Array<[string, { source: { app: string }; target: { app: string } }]>,
  protectedApps: string[],
): void {
  if (forkApp === raw.target.app) {
    throw new ConfigError(
      `${key}: "${forkApp}" is the target of pipeline ${pipeline}; name a private app of its own, or leave fork_app unset to fork on the target (its collaborators then see the unmasked fork)`,
    );
  }
  if (protectedApps.includes(forkApp)) {
    throw new ConfigError(`${key}: "${forkApp}" is in protected_apps; refork creates and destroys add-ons on the fork app`);
  }
  for (const [other, entry] of all) {
    if (entry.source.app === forkApp) {
      throw new ConfigError(`${key}: "${forkApp}" is the source of pipeline ${other}; the fork app must be an app of its own`);
    }
    if (entry.target.app === forkApp) {
      throw new ConfigError(
        `${key}: "${forkApp}" is the target of pipeline ${other}, whose collaborators would see unmasked forks; name a private app of its own`,
      );
    }
  }
}

export async function loadConfig(path: string): Promise<ReforkConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: cannot be read; create it (see refork.example.yml) or set REFORK_CONFIG to its path`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'invalid YAML';
    throw new ConfigError(`${path}: not valid YAML: ${reason}`);
  }
  return parseConfig(await withFixupFiles(await withRuleFiles(document, path), path), path);
}

/**
 * `anonymize: rules/staging.yml` names a file (relative to the config file) that holds the
 * section, so a team can keep long rule sets apart or share them between pipelines.
 */
async function withRuleFiles(document: unknown, configPath: string): Promise<unknown> {
  if (!isRecord(document) || !isRecord(document.pipelines)) return document;
  const pipelines: Record<string, unknown> = {};
  for (const [name, pipeline] of Object.entries(document.pipelines)) {
    if (!isRecord(pipeline) || typeof pipeline.anonymize !== 'string') {
      pipelines[name] = pipeline;
      continue;
    }
    const file = resolve(dirname(configPath), pipeline.anonymize);
    const where = `${configPath}: pipelines.${name}.anonymize`;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new ConfigError(`${where}: rules file ${file} cannot be read; fix the path (it is relative to ${configPath})`);
    }
    try {
      pipelines[name] = { ...pipeline, anonymize: parseYaml(text) as unknown };
    } catch (error) {
      throw new ConfigError(`${where}: ${file} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : 'invalid'}`);
    }
  }
  return { ...document, pipelines };
}

/**
 * `fixups_file: fixups/staging.sql` names a file of statements ended by `;` (relative to the
 * config file); it is read and checked here and stands in the pipeline as its `fixups:` list.
 */
async function withFixupFiles(document: unknown, configPath: string): Promise<unknown> {
  if (!isRecord(document) || !isRecord(document.pipelines)) return document;
  const pipelines: Record<string, unknown> = {};
  for (const [name, pipeline] of Object.entries(document.pipelines)) {
    if (!isRecord(pipeline) || pipeline.fixups_file === undefined) {
      pipelines[name] = pipeline;
      continue;
    }
    const where = `${configPath}: pipelines.${name}.fixups_file`;
    if (typeof pipeline.fixups_file !== 'string') throw new ConfigError(`${where}: must be the path of a file of SQL statements`);
    if (pipeline.fixups !== undefined) throw new ConfigError(`${where}: set fixups or fixups_file, not both: move the statements into one`);
    const file = resolve(dirname(configPath), pipeline.fixups_file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new ConfigError(`${where}: ${file} cannot be read; fix the path (it is relative to ${configPath})`);
    }
    const fixups = fileFixups(text);
    if ('problem' in fixups) throw new ConfigError(`${where}: ${file} ${fixups.problem}`.replace(/[\r\n]+/g, ' '));
    const { fixups_file: _read, ...rest } = pipeline;
    pipelines[name] = { ...rest, fixups: fixups.statements };
  }
  return { ...document, pipelines };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function pipelineNamed(config: ReforkConfig, name: string): PipelineConfig {
  const pipeline = config.pipelines[name];
  if (!pipeline) {
    const known = Object.keys(config.pipelines).join(', ') || 'none';
    throw new ConfigError(`no pipeline named "${name}" in the config (known: ${known})`);
  }
  return pipeline;
}

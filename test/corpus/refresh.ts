// One corpus schema from end to end, as a new user would meet refork: load it into a
// "production" database and fill it, `refork scan` it, take the proposal as it is, `refork
// plan`, run a whole refresh through the simulator with the real CLI, then inspect what staging
// was given. Every step says what failed and why; nothing here stops at the first problem.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from '../support/pg.js';
import { parse } from 'yaml';
import { startSimulator } from '../../src/sim/index.js';
import { runCli, simulatorEnv, type CliResult } from '../support/cli.js';
import { fillDatabase } from './fill.js';
import { compareStructure, findLeaks, structureOf } from './inspect.js';
import { dropRoles, loadSchema } from './load.js';
import type { CorpusSchema } from './manifest.js';
import { loadTruth, type Truth } from './truth.js';

export interface ScanScore {
  truth: number;
  flagged: number;
  truePositives: number;
  /** Personal columns the scan left unflagged, and columns it flagged that hold nothing personal. */
  missed: string[];
  wrong: string[];
}

export interface SchemaOutcome {
  schema: string;
  /** The package version the schema came from (a Debian fallback differs from the pin). */
  version?: string;
  ok: boolean;
  seconds: number;
  /** Tables filled / tables in the schema; tables left empty, with why. */
  fill: { tables: number; empty: string[] };
  scan?: ScanScore;
  /** The scan's proposal could not even be parsed as rules. */
  proposalError?: string;
  plan?: { ok: boolean; problems: string[] };
  run?: { ok: boolean; code: number | null; summary: string; problems: string[] };
  leakedValues: number;
  leaks: string[];
  structure: string[];
  notes: string[];
  /** Every reason `ok` is false, one line each. */
  failures: string[];
}

export interface RefreshOptions {
  /** Superuser URL of the PostgreSQL server that holds every database. */
  server: string;
  rows?: number;
  /** Each step's output, as it happens (for a human watching `npm run corpus`). */
  log?: (line: string) => void;
}

const TOKEN = `corpus-token-${randomBytes(8).toString('hex')}`;
const KEY = `corpus-anonymize-key-${randomBytes(12).toString('hex')}`;

function withDatabase(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin(server: string, sql: string): Promise<void> {
  await withClient(server, (client) => client.query(sql));
}

export function scoreScan(truth: Truth, columns: ScannedColumn[]): ScanScore {
  // Generated columns and columns a trigger derives are recomputed, not masked: no verdict of the scan is scored there.
  const scored = columns.filter((column) => !column.generated && !truth.derived.has(`${column.table}.${column.column}`));
  const flagged = scored.filter((column) => column.pii);
  const isTrue = (column: ScannedColumn) => truth.has(column.table, column.column);
  const inScan = new Set(scored.map((column) => `${column.table}.${column.column}`));
  const missed = [...truth.tables].flatMap(([table, names]) =>
    [...names]
      .map((name) => `${table}.${name}`)
      .filter((name) => inScan.has(name) && !flagged.some((c) => `${c.table}.${c.column}` === name)),
  );
  return {
    truth: [...truth.tables].reduce((sum, [table, names]) => sum + [...names].filter((name) => inScan.has(`${table}.${name}`)).length, 0),
    flagged: flagged.length,
    truePositives: flagged.filter(isTrue).length,
    missed,
    wrong: flagged.filter((column) => !isTrue(column)).map((column) => `${column.table}.${column.column}`),
  };
}

export interface ScannedColumn {
  table: string;
  column: string;
  pii: boolean;
  generated: boolean;
}

/** `refork scan --json`'s columns, with table names as the truth files write them (unquoted). */
function scannedColumns(report: unknown): ScannedColumn[] {
  const columns =
    (report as { columns?: Array<{ table: string; column: string; suggestion: { pii: boolean; reason: string } }> }).columns ?? [];
  return columns.map((column) => ({
    table: column.table.replaceAll('"', ''),
    column: column.column,
    pii: column.suggestion.pii,
    generated: /^generated/.test(column.suggestion.reason),
  }));
}

export async function refreshSchema(schema: CorpusSchema, options: RefreshOptions): Promise<SchemaOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const outcome: SchemaOutcome = {
    schema: schema.name,
    ok: false,
    seconds: 0,
    fill: { tables: 0, empty: [] },
    leakedValues: 0,
    leaks: [],
    structure: [],
    notes: [],
    failures: [],
  };
  const suffix = randomBytes(5).toString('hex');
  const seedName = `corpus_${schema.name}_${suffix}`;
  const controlName = `corpus_control_${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), `refork-corpus-${schema.name}-`));
  const roles: string[] = [];
  const sim = await startSimulator({
    postgresUrl: options.server,
    token: TOKEN,
    provisionDelayMs: 50,
    dataApi404Ms: 20,
    waitingMs: 20,
    releaseDelayMs: 50,
  });
  try {
    const truth = await loadTruth(schema.name);
    await admin(options.server, `CREATE DATABASE "${seedName}"`);
    await admin(options.server, `CREATE DATABASE "${controlName}"`);
    const seedUrl = withDatabase(options.server, seedName);
    const loaded = await loadSchema(seedUrl, schema, (created) => roles.push(...created));
    outcome.version = loaded.version;
    outcome.notes.push(...loaded.notes);
    const fill = await fillDatabase(seedUrl, truth, options.rows ?? schema.rows);
    outcome.fill = {
      tables: fill.tables.filter((table) => table.rows > 0).length,
      empty: fill.tables.filter((table) => table.rows === 0).map((table) => `${table.table}: ${table.lastError ?? 'no row'}`),
    };
    log(
      `${schema.name}: loaded and filled ${outcome.fill.tables}/${fill.tables.length} tables, ${fill.personal.tokens.size} personal tokens`,
    );

    sim.createApp('corpus-prod');
    sim.createApp('corpus-staging');
    const prod = await sim.addDatabase('corpus-prod', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE', fromDatabase: seedName });
    await sim.addDatabase('corpus-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE' });
    await admin(options.server, `DROP DATABASE "${seedName}" WITH (FORCE)`);
    const prodUrl = sim.databaseUrl(prod.name);
    const prodAdmin = withDatabase(options.server, new URL(prodUrl).pathname.slice(1));

    const configPath = join(dir, 'refork.yml');
    const env = simulatorEnv({
      simUrl: sim.url,
      token: TOKEN,
      controlUrl: withDatabase(options.server, controlName),
      key: KEY,
      configPath,
      logLevel: 'warn',
    });
    const cli = (args: string[]): Promise<CliResult> => runCli(args, env, { killAfterMs: 30 * 60_000 });

    // Scan, exactly as a user would, and take its proposal as it is.
    const scan = await cli(['scan', '--url', prodUrl, '--json']);
    if (scan.code !== 0) {
      outcome.failures.push(`scan exited ${scan.code}: ${lastLine(scan.stderr)}`);
      return outcome;
    }
    const report = JSON.parse(scan.stdout) as { suggestedRules: string };
    outcome.scan = scoreScan(truth, scannedColumns(report));
    log(
      `${schema.name}: scan flagged ${outcome.scan.flagged} columns, ${outcome.scan.truePositives} of ${outcome.scan.truth} personal ones`,
    );
    let anonymize: unknown;
    try {
      anonymize = (parse(report.suggestedRules) as { anonymize?: unknown }).anonymize;
    } catch (error) {
      outcome.proposalError = error instanceof Error ? error.message : String(error);
      outcome.failures.push(`the scan's proposal is not valid YAML: ${outcome.proposalError}`);
      return outcome;
    }
    const pipeline = {
      source: { app: 'corpus-prod', database: 'DATABASE' },
      target: { app: 'corpus-staging' },
      plan: 'heroku-postgresql:standard-0',
      anonymize,
    };
    await writeFile(configPath, JSON.stringify({ protected_apps: ['corpus-prod'], pipelines: { staging: pipeline } }, null, 2));

    // With a preview of masked rows, as a careful user would look before the first night.
    const plan = await cli(['plan', 'staging', '--json', '--preview', '2']);
    const planReport = safeJson(plan.stdout) as { ok?: boolean; uncovered?: unknown[]; problems?: string[] } | undefined;
    outcome.plan = {
      ok: plan.code === 0,
      problems: planReport
        ? [...(planReport.problems ?? []), ...(planReport.uncovered ?? []).map((u) => JSON.stringify(u))]
        : [lastLine(plan.stderr)],
    };
    if (!outcome.plan.ok) outcome.failures.push(`plan exited ${plan.code}: ${outcome.plan.problems.slice(0, 3).join('; ')}`);
    log(`${schema.name}: plan ${outcome.plan.ok ? 'ok' : `refused (${plan.code})`}`);

    const production = await structureOf(prodAdmin);
    const run = await cli(['run', 'staging']);
    const problems = await storedProblems(withDatabase(options.server, controlName));
    outcome.run = { ok: run.code === 0, code: run.code, summary: lastLine(run.stdout) || lastLine(run.stderr), problems };
    if (!outcome.run.ok) outcome.failures.push(`run exited ${run.code}: ${outcome.run.summary}`);
    log(`${schema.name}: run ${outcome.run.ok ? 'succeeded' : `failed: ${outcome.run.summary}`}`);

    const staging = sim.attachments('corpus-staging').find((a) => a.name === 'DATABASE' && !a.namespace)?.addon.name;
    if (outcome.run.ok && staging) {
      const promoted = withDatabase(options.server, new URL(sim.databaseUrl(staging)).pathname.slice(1));
      const leaks = await findLeaks(promoted, prodAdmin, fill.personal, fill.rowCompared);
      outcome.leakedValues = leaks.leakedValues;
      outcome.leaks = leaks.leaks;
      outcome.notes.push(...leaks.unreadable);
      outcome.structure = compareStructure(production, await structureOf(promoted));
      if (leaks.leakedValues > 0) outcome.failures.push(`${leaks.leakedValues} original personal values in the promoted database`);
      if (outcome.structure.length) outcome.failures.push(`${outcome.structure.length} structural differences from production`);
    }
    return outcome;
  } catch (error) {
    outcome.failures.push(`corpus harness: ${error instanceof Error ? error.message : String(error)}`);
    return outcome;
  } finally {
    await sim.close().catch(() => {});
    await admin(options.server, `DROP DATABASE IF EXISTS "${seedName}" WITH (FORCE)`).catch(() => {});
    await admin(options.server, `DROP DATABASE IF EXISTS "${controlName}" WITH (FORCE)`).catch(() => {});
    // The simulator dropped its databases on close: the installer's roles are used by none now.
    await dropRoles(options.server, roles).catch((error: unknown) => outcome.notes.push(`roles left on the server: ${String(error)}`));
    await rm(dir, { recursive: true, force: true });
    outcome.ok = outcome.failures.length === 0;
    outcome.seconds = Math.round((Date.now() - started) / 100) / 10;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The run's error and every problem list the engine stored in its events, in full. */
async function storedProblems(controlUrl: string): Promise<string[]> {
  return withClient(controlUrl, async (client) => {
    const runs = await client.query<{ error: string | null }>('SELECT error FROM refork_runs ORDER BY created_at');
    const events = await client.query<{ detail: Record<string, unknown> }>('SELECT detail FROM refork_run_events ORDER BY seq');
    const problems = runs.rows.flatMap((row) => (row.error ? [row.error] : []));
    for (const { detail } of events.rows) {
      for (const value of Object.values(detail ?? {})) {
        if (Array.isArray(value) && value.every((item) => typeof item === 'string')) problems.push(...(value as string[]));
      }
    }
    return [...new Set(problems)];
  }).catch(() => []);
}

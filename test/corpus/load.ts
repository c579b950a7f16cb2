// Creates a database holding one corpus schema as its project's installer would: the package is
// brought from its registry (download.ts), its SQL put together as the manifest's loader says,
// the listed substitutions applied (each must match, or the manifest is out of date), and every
// script run as the server's superuser.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { materialize } from './download.js';
import type { CorpusSchema } from './manifest.js';

export interface LoadedSchema {
  /** Roles the schema's installer created: they belong to the whole server, so they are dropped after the run. */
  roles: string[];
  /** The version actually used, and what the report must say about it. */
  version: string;
  notes: string[];
}

/** The scripts to run, in order, and the roles they create. */
interface Scripts {
  scripts: string[];
  roles: string[];
}

async function readText(path: string): Promise<string> {
  const data = await readFile(path);
  return path.endsWith('.gz') ? gunzipSync(data).toString('utf8') : data.toString('utf8');
}

/** Each substitution must change at least one script, or the manifest no longer describes the package. */
function applySubstitutions(schema: CorpusSchema, scripts: string[]): string[] {
  let result = scripts;
  for (const substitution of schema.substitutions ?? []) {
    const before = result;
    result = result.map((sql) =>
      typeof substitution.find === 'string'
        ? sql.replaceAll(substitution.find, substitution.replace)
        : sql.replace(substitution.find, substitution.replace),
    );
    if (result.every((sql, index) => sql === before[index])) {
      throw new Error(`corpus ${schema.name}: substitution ${String(substitution.find)} matched nothing`);
    }
  }
  return result;
}

/** One field of COPY's text format: backslash escapes undone, `\N` alone is NULL. */
function copyField(raw: string): string | null {
  if (raw === '\\N') return null;
  const controls: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  return raw.replace(/\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/g, (_, escaped: string) => {
    if (/^[0-7]+$/.test(escaped)) return String.fromCharCode(parseInt(escaped, 8));
    if (/^x[0-9a-fA-F]+$/.test(escaped)) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return controls[escaped] ?? escaped;
  });
}

/**
 * psql feeds the rows after `COPY … FROM stdin;` to the server; node-postgres runs SQL text
 * only, so each such block becomes one INSERT of the same rows (text format; its delimiter).
 */
export function copyBlocksAsInserts(sql: string): string {
  return sql.replace(/^COPY\s+(.+?)\s+FROM\s+stdin\b([^;]*);\n([\s\S]*?)^\\\.$/gim, (_, target: string, options: string, data: string) => {
    if (/\bCSV\b|\bBINARY\b/i.test(options)) throw new Error(`COPY ${target}: only the text format is read here`);
    const delimiter = /DELIMITER\s+(?:AS\s+)?'(.)'/i.exec(options)?.[1] ?? '\t';
    const rows = data
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const fields = line.split(delimiter).map(copyField);
        return `(${fields.map((field) => (field === null ? 'NULL' : `'${field.replaceAll("'", "''")}'`)).join(', ')})`;
      });
    return rows.length ? `INSERT INTO ${target} VALUES\n${rows.join(',\n')};` : '';
  });
}

// Logto's seed (packages/cli, `logto db seed`): an `init_order` comment orders a file, files
// without one come after those with one, by name.
const INIT_ORDER = /\/\*\s*init_order\s*=\s*([\d.]+)\s*\*\//;
const LIFECYCLE = ['_before_all.sql', '_after_each.sql', '_after_all.sql'];

function byInitOrder([nameA, sqlA]: [string, string], [nameB, sqlB]: [string, string]): number {
  const a = INIT_ORDER.exec(sqlA)?.[1];
  const b = INIT_ORDER.exec(sqlB)?.[1];
  if (a === undefined && b === undefined) return nameA.localeCompare(nameB);
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return Number(a) - Number(b);
}

async function logtoScripts(root: string, database: string): Promise<Scripts> {
  const tables = join(root, 'tables');
  const files = (await readdir(tables)).filter((file) => file.endsWith('.sql'));
  const text = new Map<string, string>();
  for (const file of files) text.set(file, await readFile(join(tables, file), 'utf8'));
  // The tenants table is declared in the package's model (lib/models/tenants.js), as SQL in a
  // template literal whose one interpolation is the development tenant tag (lib/types/tenant.js).
  const model = await readFile(join(root, 'lib/models/tenants.js'), 'utf8');
  const types = await readFile(join(root, 'lib/types/tenant.js'), 'utf8');
  const tenantsSql = /createModel\(\s*\/\* Sql \*\/ `([\s\S]*?)`/.exec(model)?.[1];
  const development = /TenantTag\["Development"\] = "([^"]+)"/.exec(types)?.[1];
  if (!tenantsSql || !development) throw new Error('corpus logto: the tenants model is not where the loader expects it');
  const queries: Array<[string, string]> = [
    ['tenants', tenantsSql.replaceAll('${TenantTag.Development}', development)],
    ...[...text].filter(([file]) => !LIFECYCLE.includes(file)),
  ];
  const password = randomBytes(12).toString('hex');
  const lifecycle = (file: string, name = '') =>
    (text.get(file) ?? '').replaceAll('${name}', name).replaceAll('${database}', database).replaceAll('${password}', password);
  const scripts = [lifecycle('_before_all.sql')];
  for (const [file, sql] of queries.sort(byInitOrder)) {
    scripts.push(sql);
    if (!sql.includes('/* no_after_each */')) scripts.push(lifecycle('_after_each.sql', file.split('.')[0]));
  }
  scripts.push(lifecycle('_after_all.sql'));
  return { scripts, roles: [`logto_tenant_${database}`] };
}

// Runs in a Node process of its own, so that the package's modules are loaded by Node as
// published (not through this suite's TypeScript loader).
const PG_BOSS_PLANS = `
const [contractorUrl, plansUrl] = process.argv.slice(1);
const { default: Contractor } = await import(contractorUrl);
const plans = await import(plansUrl);
const schema = 'pgboss';
process.stdout.write(JSON.stringify([
  Contractor.constructionPlans(schema),
  plans.createQueue(schema, 'corpus-standard', { policy: 'standard' }, false),
  plans.createQueue(schema, 'corpus-partitioned', { policy: 'standard', partition: true }, false),
]));`;

function pgBossScripts(root: string): Scripts {
  const url = (file: string) => pathToFileURL(join(root, 'dist', file)).href;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', PG_BOSS_PLANS, url('contractor.js'), url('plans.js')], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`corpus pg-boss: its construction plans failed: ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  return { scripts: JSON.parse(result.stdout) as string[], roles: [] };
}

async function scriptsOf(schema: CorpusSchema, root: string, database: string): Promise<Scripts> {
  switch (schema.load.kind) {
    case 'files': {
      const parts: string[] = [];
      for (const file of schema.load.files) parts.push(copyBlocksAsInserts(await readText(join(root, file))));
      return { scripts: [parts.join('\n;\n')], roles: [] };
    }
    case 'logto':
      return logtoScripts(root, database);
    case 'pg-boss':
      return pgBossScripts(root);
  }
}

/**
 * Loads the schema into the (empty) database. `onRoles` hears of server-wide roles the
 * installer will create before any is created, so that the caller can drop them afterwards
 * whatever happens.
 */
export async function loadSchema(
  databaseUrl: string,
  schema: CorpusSchema,
  onRoles: (roles: string[]) => void = () => {},
): Promise<LoadedSchema> {
  const { root, version, notes } = await materialize(schema.source, schema.name);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const database = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]?.name ?? '';
    const { scripts, roles } = await scriptsOf(schema, root, database);
    onRoles(roles);
    if (schema.prelude) await client.query(schema.prelude);
    for (const script of applySubstitutions(schema, scripts)) await client.query(script);
    return { roles, version, notes };
  } catch (error) {
    throw new Error(`corpus ${schema.name}: loading the schema failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end();
  }
}

/** Drops the server-wide roles a schema's installer created, once no database of the run uses them. */
export async function dropRoles(serverUrl: string, roles: string[]): Promise<void> {
  if (roles.length === 0) return;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (const role of roles) await client.query(`DROP ROLE IF EXISTS "${role.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

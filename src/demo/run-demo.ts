// `refork demo`: the whole refresh on this machine with no credentials and no services: an
// embedded PostgreSQL, the Heroku simulator, a production database full of fake PII, and the
// example config. Leaves nothing running.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openApp } from '../app/open.js';
import { packageFile } from '../package-root.js';
import { createLogger } from '../log/logger.js';
import { progressStream } from '../log/progress.js';
import { findRun, loadReport, priceList, renderReport } from '../report/index.js';
import { startEmbeddedPostgres } from '../pg/embedded.js';
import { commandTrigger, runPipeline } from '../runner/run-pipeline.js';
import { onShutdown } from '../runner/signals.js';
import { startSimulator } from '../sim/index.js';
import { formatStatus } from '../status/format.js';
import { summarizePipeline } from '../status/summary.js';
import { migrateToLatest } from '../store/index.js';
import { seedDemoDatabase } from './seed.js';

const EXAMPLE_CONFIG = packageFile('refork.example.yml');

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface Customer {
  id: string;
  full_name: string | null;
  email: string;
  phone: string | null;
}

function table(rows: Customer[]): string {
  const cells = rows.map((r) => [r.id, r.full_name ?? 'NULL', r.email, r.phone ?? 'NULL']);
  const header = ['id', 'full_name', 'email', 'phone'];
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length))));
  const line = (c: string[]) => '  ' + c.map((v, i) => v.slice(0, 40).padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

export async function runDemo(print: (line: string) => void = (line) => console.log(line)): Promise<number> {
  const startedAt = Date.now();
  print('refork demo: production → fork → anonymize → promote to staging, all on this machine\n');
  print('Starting an embedded PostgreSQL and the Heroku simulator…');
  const server = await startEmbeddedPostgres();
  const token = `demo-${randomBytes(12).toString('hex')}`;
  // An interrupted demo did not show what it promised: whatever stops it, the exit code says so.
  const shutdown = onShutdown(25_000, () => process.exit(1));
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  try {
    sim = await startSimulator({ postgresUrl: server.url, token, provisionDelayMs: 1500, dataApi404Ms: 300, waitingMs: 1200 });
    await query(server.url, 'CREATE DATABASE demo_production');
    await query(server.url, 'CREATE DATABASE refork_control');
    await seedDemoDatabase(withDatabase(server.url, 'demo_production'), 2000);
    sim.createApp('acme-prod');
    sim.createApp('acme-staging');
    sim.createApp('acme-refork'); // the example config's private fork app
    const prod = await sim.addDatabase('acme-prod', {
      plan: 'heroku-postgresql:standard-0',
      as: 'DATABASE',
      fromDatabase: 'demo_production',
    });
    const old = await sim.addDatabase('acme-staging', { plan: 'heroku-postgresql:standard-0', as: 'DATABASE' });
    print(`  acme-prod:    ${prod.name} (2000 customers with names, emails, phones)`);
    print(`  acme-staging: ${old.name} (stale)`);
    print(`  acme-refork:  where the fork is masked before staging sees it\n`);

    const app = await openApp({
      processEnv: {
        HEROKU_API_KEY: token,
        HEROKU_API_URL: sim.url,
        HEROKU_DATA_API_URL: sim.url,
        REFORK_DATABASE_URL: withDatabase(server.url, 'refork_control'),
        REFORK_ANONYMIZE_KEY: randomBytes(32).toString('hex'),
        REFORK_CONFIG: EXAMPLE_CONFIG,
        REFORK_POLL_MIN_MS: '400',
        REFORK_POLL_MAX_MS: '1500',
      },
      logger: createLogger({ stream: progressStream(print, startedAt) }),
    });
    try {
      await migrateToLatest(app.knex);
      const pipeline = app.pipeline('staging');
      print(`Refreshing pipeline "staging" (rules: ${EXAMPLE_CONFIG.split('/').at(-1) ?? ''})`);
      const outcome = await runPipeline(app.runnerDeps(pipeline), pipeline, {
        start: true,
        deadline: null,
        shutdown: shutdown.signal,
        trigger: commandTrigger('refork demo'),
      });
      print('');
      print(formatStatus([await summarizePipeline(app.store, 'staging', pipeline.schedule)]));
      if (outcome.kind !== 'finished' || outcome.status !== 'succeeded') return 1;

      const database = sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace);
      if (!database) return 1;
      const sample = 'SELECT c.id::text AS id, c.full_name, c.email, c.phone FROM customers c ORDER BY c.id LIMIT 3';
      print('\nProduction (acme-prod DATABASE):');
      print(table(await query<Customer>(sim.databaseUrl(prod.id), sample)));
      print(`\nStaging after the refresh (acme-staging DATABASE = ${database.addon.name}):`);
      print(table(await query<Customer>(sim.databaseUrl(database.addon.id), sample)));
      const [orders] = await query<{ n: string }>(sim.databaseUrl(database.addon.id), 'SELECT count(*) AS n FROM orders');
      print(`\n${orders?.n ?? 0} orders kept (addresses masked), sessions truncated, old staging database destroyed.`);
      // The control database goes with the demo: its record is written out (`refork report <run> --markdown`).
      const run = await findRun(app.store, 'staging');
      const record = join(tmpdir(), `refork-demo-report-${run.id}.md`);
      await writeFile(record, renderReport(await loadReport(app.store, run, priceList(app.config.prices)), 'markdown'));
      print(`The record of this refresh, as \`refork report ${run.id} --markdown\` prints it: ${record}`);
      print(`Done in ${((Date.now() - startedAt) / 1000).toFixed(1)}s. Next: README.md → "Running it on Heroku".`);
      return 0;
    } finally {
      await app.close();
    }
  } finally {
    shutdown.dispose();
    await sim?.close();
    await server.stop();
  }
}

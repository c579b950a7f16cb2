// Benchmark (not a timed test): refork's anonymization engine against the baseline that
// PostgreSQL Anonymizer and pynonymizer use, one raw set-based UPDATE per table computing the very
// same masked values the conventional way (pgcrypto's hmac(), a fake word looked up in a
// dictionary table per row), each on a fresh copy of the same data set, on an embedded
// PostgreSQL; both copies must end identical (checked). Then refork's verification of its masked
// copy (every gate), against refork's own masking time. The database's size (and the WAL written)
// is sampled every 100 ms while masking: refork's peak extra disk against the largest table; and a
// third copy is masked under a disk budget of a quarter of the largest table (docs/disk.md), its
// output checked identical, its time against the normal path's and its peak against the budget.
//
//   node --import tsx bench/anonymize.ts [--rows 1000000] [--repeat 1] [--json] [--fast]
//
// --fast runs Postgres without fsync/full_page_writes (quicker, less like production).
// --repeat N measures baseline and refork N times each, alternating, and keeps each one's fastest
// time per table and in total: on a machine shared with other work, the least disturbed run.
// With --json the last line is {"rows", "speedup", "worstTableSpeedup", "verifyRatio", "peakRssMb",
// "peakExtraOverLargestTable", "tightSlowdown", "tightPeakDataOverBudget", ...}.
import pg from 'pg';
import { anonymizeDatabase, parseRules, verifyAnonymized } from '../src/anonymize/index.js';
import { loadCatalog } from '../src/anonymize/catalog.js';
import { DICTIONARIES, type DictionaryName } from '../src/anonymize/dictionaries.js';
import { buildPlan } from '../src/anonymize/plan.js';
import type { MaskPrimitives } from '../src/anonymize/primitives.js';
import { startEmbeddedPostgres } from '../src/pg/embedded.js';
import { withClient } from '../test/support/pg.js';

interface Args {
  rows: number;
  repeat: number;
  json: boolean;
  fast: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 1_000_000, repeat: 1, json: false, fast: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--fast') args.fast = true;
    else if (arg === '--rows') args.rows = Number(argv[++i]);
    else if (arg === '--repeat') args.repeat = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; use --rows N, --repeat N, --json, --fast`);
  }
  if (!Number.isInteger(args.rows) || args.rows < 1000) throw new Error('--rows must be a whole number ≥ 1000');
  if (!Number.isInteger(args.repeat) || args.repeat < 1) throw new Error('--repeat must be a whole number ≥ 1');
  return args;
}

const KEY = 'bench-key-0123456789abcdef0123456789abcdef';

const RULES = parseRules(
  {
    tables: {
      customers: {
        columns: {
          id: 'safe',
          email: 'email',
          first_name: { strategy: 'fake', kind: 'first_name' },
          last_name: { strategy: 'fake', kind: 'last_name' },
          phone: { strategy: 'fake', kind: 'phone' },
          street: { strategy: 'fake', kind: 'street' },
          city: { strategy: 'fake', kind: 'city' },
          birth_date: { strategy: 'shift', days: 30 },
          status: 'safe',
          created_at: 'safe',
          notes: null,
        },
      },
      orders: {
        columns: {
          id: 'safe',
          customer_id: 'safe',
          total_cents: 'safe',
          shipping_address: { strategy: 'fake', kind: 'street' },
          created_at: 'safe',
        },
      },
      documents: { columns: { id: 'safe', owner_email: 'email', body: 'safe' } },
    },
  },
  'bench.anonymize',
);

function log(args: Args, line: string): void {
  if (!args.json) console.log(line);
  else process.stderr.write(`${line}\n`);
}

function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function buildDataSet(url: string, rows: number): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`
      CREATE TABLE customers (
        id bigint PRIMARY KEY, email text NOT NULL, first_name text, last_name text, phone text, street text, city text,
        birth_date date, status text, created_at timestamptz, notes text)`);
    await client.query(
      `INSERT INTO customers
       SELECT i, 'person' || i || '@mail' || (i % 97) || '.com', 'First' || (i % 5000), 'Last' || (i % 20000),
              '+1-202-' || lpad((i % 10000000)::text, 7, '0'), i || ' Main Street', 'City' || (i % 1000),
              date '1950-01-01' + (i % 20000), (ARRAY['active', 'inactive', 'banned'])[1 + i % 3],
              timestamptz '2020-01-01' + i * interval '1 minute', CASE WHEN i % 10 = 0 THEN 'called on ' || i END
         FROM generate_series(1, $1::int) i`,
      [rows],
    );
    await client.query('CREATE UNIQUE INDEX customers_email ON customers (email)');
    await client.query('CREATE INDEX customers_last_name ON customers (last_name)');
    await client.query('CREATE INDEX customers_created_at ON customers (created_at)');
    await client.query('CREATE INDEX customers_status ON customers (status)');
    await client.query('CREATE INDEX customers_phone ON customers (phone)');
    await client.query(`
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, total_cents int,
                           shipping_address text, created_at timestamptz)`);
    await client.query(
      `INSERT INTO orders SELECT i, 1 + (i::bigint * 7919) % $1::int, (i::bigint * 31) % 100000, (i % 9999) || ' Market Street',
              timestamptz '2021-01-01' + i * interval '1 minute'
         FROM generate_series(1, $1::int * 2) i`,
      [rows],
    );
    await client.query('CREATE INDEX orders_customer ON orders (customer_id)');
    // TOAST-heavy: a 6 kB body stored out of line and never masked; only the small email is.
    await client.query('CREATE TABLE documents (id bigint PRIMARY KEY, owner_email text, body text)');
    await client.query('ALTER TABLE documents ALTER COLUMN body SET STORAGE EXTERNAL');
    await client.query(
      `INSERT INTO documents SELECT i, 'owner' || i || '@corp.example.com', repeat(md5(i::text), 190)
         FROM generate_series(1, greatest($1::int / 20, 100)) i`,
      [rows],
    );
    await client.query('VACUUM ANALYZE');
  });
}

type Timings = Map<string, number>;

/** Verification time of the last refork run (its gates read the masked copy before it is dropped). */
let lastVerifyMs = Number.NaN;

/** The baseline: one raw UPDATE (or TRUNCATE) per table, in one session, with the engine's own expressions. */
/** HMACs and fake words as a conventional in-database anonymizer writes them: the same values. */
const CONVENTIONAL: MaskPrimitives = {
  hmac: (text, params) => `public.hmac(${text}, ${params.keyParam()}::text, 'sha256')`,
  word: (name, index, params) =>
    `(SELECT d.word FROM pg_temp.dictionary d WHERE d.name = ${params.add(name)}::text AND d.position = ${index})`,
};

async function loadConventionalDictionaries(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  await client.query('CREATE TEMP TABLE dictionary (name text, position int, word text NOT NULL, PRIMARY KEY (name, position))');
  for (const name of Object.keys(DICTIONARIES) as DictionaryName[]) {
    await client.query(
      `INSERT INTO pg_temp.dictionary SELECT $1::text, u.o::int - 1, u.w FROM unnest($2::text[]) WITH ORDINALITY AS u(w, o)`,
      [name, DICTIONARIES[name]],
    );
  }
  await client.query('ANALYZE pg_temp.dictionary');
}

/** An order-independent fingerprint of every table the rules mask: equal when the masked data are. */
async function fingerprint(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const prints: Record<string, string> = {};
    for (const table of ['customers', 'orders', 'documents']) {
      const result = await client.query<{ print: string }>(
        `SELECT pg_catalog.count(*)::text || ':' || COALESCE(pg_catalog.bit_xor(pg_catalog.hashtextextended(t::text, 0)), 0)::text AS print FROM ${table} t`,
      );
      prints[table] = result.rows[0]?.print ?? '';
    }
    return prints;
  });
}

async function runBaseline(url: string): Promise<Timings> {
  return withClient(url, async (client) => {
    await loadConventionalDictionaries(client);
    const plan = buildPlan(RULES, await loadCatalog(client), { key: KEY, primitives: CONVENTIONAL });
    const timings: Timings = new Map();
    for (const step of plan.updates) {
      const started = performance.now();
      await client.query(step.sql, step.params);
      timings.set(step.display, performance.now() - started);
    }
    return timings;
  });
}

async function runRefork(url: string, disk?: { budgetBytes: number }): Promise<Timings> {
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };
  const result = await anonymizeDatabase({ connect, rules: RULES, runId: 'bench', key: KEY, ...(disk ? { disk } : {}) });
  const started = performance.now();
  const report = await verifyAnonymized({ connect, rules: RULES, runId: 'bench', key: KEY });
  lastVerifyMs = performance.now() - started;
  if (!report.ok) throw new Error(`verification failed on the bench data set: ${report.problems.join('; ')}`);
  return new Map(result.tables.map((table) => [table.table, table.elapsedMs]));
}

interface DiskPeak {
  /** Most extra bytes in the database's files (tables, indexes, stages) over its size at the start. */
  data: number;
  /** The same with the growth of the WAL directory (pg_ls_waldir: segments recycled at checkpoints are reused, not added). */
  withWal: number;
  /** WAL written meanwhile (LSN difference), whether or not it took new disk. */
  walWritten: number;
}

/** Samples the database's size and the WAL directory every 100 ms while `work` runs (from a session of its own). */
async function sampleDisk<T>(server: string, database: string, work: () => Promise<T>): Promise<{ result: T; peak: DiskPeak }> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  const read = async () => {
    const row = (
      await client.query<{ data: string; wal: string; lsn: string }>(
        'SELECT pg_database_size($1)::text AS data, (SELECT sum(size) FROM pg_ls_waldir())::text AS wal, pg_current_wal_lsn()::text AS lsn',
        [database],
      )
    ).rows[0];
    return { data: Number(row?.data), wal: Number(row?.wal), lsn: row?.lsn ?? '0/0' };
  };
  const start = await read();
  const peak: DiskPeak = { data: 0, withWal: 0, walWritten: 0 };
  const note = (now: { data: number; wal: number; lsn: string }) => {
    peak.data = Math.max(peak.data, now.data - start.data);
    peak.withWal = Math.max(peak.withWal, now.data - start.data + now.wal - start.wal);
  };
  let running = true;
  const sampler = (async () => {
    while (running) {
      note(await read());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    const result = await work();
    running = false;
    await sampler;
    const end = await read();
    note(end);
    const written = await client.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1, $2)::text AS bytes', [end.lsn, start.lsn]);
    peak.walWritten = Number(written.rows[0]?.bytes ?? 0);
    return { result, peak };
  } finally {
    running = false;
    await sampler.catch(() => {});
    await client.end();
  }
}

async function largestTableBytes(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ bytes: string }>(
      `SELECT max(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = 'public'`,
    );
    return Number(result.rows[0]?.bytes ?? 0);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await startEmbeddedPostgres({ durable: !args.fast });
  try {
    await withClient(server.url, async (client) => {
      for (const setting of [
        "max_wal_size = '8GB'",
        "checkpoint_timeout = '30min'",
        "maintenance_work_mem = '512MB'",
        'autovacuum = off',
      ]) {
        await client.query(`ALTER SYSTEM SET ${setting}`);
      }
      await client.query('SELECT pg_reload_conf()');
      await client.query('CREATE DATABASE bench_base');
    });
    let started = performance.now();
    await buildDataSet(databaseUrl(server.url, 'bench_base'), args.rows);
    log(
      args,
      `data set: ${args.rows} customers, ${args.rows * 2} orders, ${Math.max(args.rows / 20, 100)} documents (${((performance.now() - started) / 1000).toFixed(1)} s to build)`,
    );

    const largest = await largestTableBytes(databaseUrl(server.url, 'bench_base'));
    const measure = async (name: string, run: (url: string) => Promise<Timings>) => {
      await withClient(server.url, async (client) => {
        await client.query(`CREATE DATABASE ${name} TEMPLATE bench_base STRATEGY FILE_COPY`);
        await client.query('CHECKPOINT');
      });
      started = performance.now();
      const { result: timings, peak } = await sampleDisk(server.url, name, () => run(databaseUrl(server.url, name)));
      const total = performance.now() - started;
      const prints = await fingerprint(databaseUrl(server.url, name));
      await withClient(server.url, (client) => client.query(`DROP DATABASE ${name}`));
      return { timings, total, prints, peak };
    };
    // Each one's fastest run: per table, and in total (refork's total is its masking, verification apart).
    const fastest = (into: { timings: Timings; total: number } | undefined, run: { timings: Timings; total: number }) => ({
      timings: new Map([...run.timings].map(([table, ms]) => [table, Math.min(ms, into?.timings.get(table) ?? Infinity)])),
      total: Math.min(run.total, into?.total ?? Infinity),
    });
    let baseline: { timings: Timings; total: number } | undefined;
    let refork: { timings: Timings; total: number } | undefined;
    let verifyMs = Infinity;
    // The tight-headroom run: a disk budget of a quarter of the largest table (docs/disk.md).
    const budgetBytes = Math.floor(largest / 4);
    let tight: { timings: Timings; total: number } | undefined;
    const peaks = { normal: { data: 0, withWal: 0, walWritten: 0 }, tight: { data: 0, withWal: 0, walWritten: 0 } };
    const same = (what: string, a: Record<string, string>, b: Record<string, string>) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what} masked the data differently: ${JSON.stringify({ a, b })}`);
    };
    for (let round = 0; round < args.repeat; round++) {
      const plain = await measure('bench_baseline', runBaseline);
      const engine = await measure('bench_refork', (url) => runRefork(url));
      same('the baseline and refork', plain.prints, engine.prints);
      baseline = fastest(baseline, plain);
      refork = fastest(refork, { timings: engine.timings, total: engine.total - lastVerifyMs });
      verifyMs = Math.min(verifyMs, lastVerifyMs);
      const bounded = await measure('bench_tight', (url) => runRefork(url, { budgetBytes }));
      same('refork under a disk budget and the baseline', plain.prints, bounded.prints);
      tight = fastest(tight, { timings: bounded.timings, total: bounded.total - lastVerifyMs });
      // The peaks are the same run after run; the highest seen is kept.
      for (const [key, run] of [
        ['normal', engine],
        ['tight', bounded],
      ] as const) {
        peaks[key] = {
          data: Math.max(peaks[key].data, run.peak.data),
          withWal: Math.max(peaks[key].withWal, run.peak.withWal),
          walWritten: Math.max(peaks[key].walWritten, run.peak.walWritten),
        };
      }
    }
    if (!tight) throw new Error('nothing measured');
    if (!baseline || !refork) throw new Error('nothing measured');
    const maskingMs = refork.total;

    const rows: Array<{ table: string; baselineMs: number; reforkMs: number; speedup: number }> = [];
    for (const [table, baselineMs] of baseline.timings) {
      const reforkMs = refork.timings.get(table) ?? Number.NaN;
      rows.push({ table, baselineMs, reforkMs, speedup: baselineMs / reforkMs });
    }
    log(args, `${'table'.padEnd(22)} ${'baseline'.padStart(10)} ${'refork'.padStart(10)} ${'speedup'.padStart(8)}`);
    for (const row of rows) {
      log(
        args,
        `${row.table.padEnd(22)} ${(row.baselineMs / 1000).toFixed(2).padStart(9)}s ${(row.reforkMs / 1000).toFixed(2).padStart(9)}s ${row.speedup.toFixed(2).padStart(7)}×`,
      );
    }
    const speedup = baseline.total / maskingMs;
    const verifyRatio = verifyMs / maskingMs;
    const worstTableSpeedup = Math.min(...rows.map((row) => row.speedup));
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    log(
      args,
      `${'total'.padEnd(22)} ${(baseline.total / 1000).toFixed(2).padStart(9)}s ${(maskingMs / 1000).toFixed(2).padStart(9)}s ${speedup.toFixed(2).padStart(7)}×`,
    );
    log(args, `verification (every gate): ${(verifyMs / 1000).toFixed(2)} s, ${(verifyRatio * 100).toFixed(1)} % of refork's masking time`);
    log(args, `refork peak RSS: ${peakRssMb.toFixed(0)} MB (the Node process; Postgres does the work)`);
    const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
    const peakExtraOverLargestTable = peaks.normal.withWal / largest;
    const tightSlowdown = tight.total / maskingMs;
    const tightPeakOverBudget = peaks.tight.data / budgetBytes;
    log(
      args,
      `disk: largest table ${mb(largest)}; masking's peak extra ${mb(peaks.normal.data)} in data files, ${mb(peaks.normal.withWal)} with the WAL directory's growth (${peakExtraOverLargestTable.toFixed(2)}× the largest table; sampled every 100 ms); ${mb(peaks.normal.walWritten)} of WAL written`,
    );
    log(
      args,
      `tight headroom (budget ${mb(budgetBytes)}, a quarter of the largest table): ${(tight.total / 1000).toFixed(2)} s, ${tightSlowdown.toFixed(2)}× the normal path; peak extra ${mb(peaks.tight.data)} in data files (${(tightPeakOverBudget * 100).toFixed(0)} % of the budget), ${mb(peaks.tight.withWal)} with the WAL directory's growth; ${mb(peaks.tight.walWritten)} of WAL written; output identical`,
    );
    if (args.json) {
      console.log(
        JSON.stringify({
          rows: args.rows,
          repeat: args.repeat,
          speedup: Number(speedup.toFixed(3)),
          worstTableSpeedup: Number(worstTableSpeedup.toFixed(3)),
          verifyRatio: Number(verifyRatio.toFixed(3)),
          peakRssMb: Number(peakRssMb.toFixed(1)),
          baselineSeconds: Number((baseline.total / 1000).toFixed(2)),
          reforkSeconds: Number((maskingMs / 1000).toFixed(2)),
          verifySeconds: Number((verifyMs / 1000).toFixed(2)),
          largestTableMb: Number((largest / 1024 ** 2).toFixed(1)),
          peakExtraOverLargestTable: Number(peakExtraOverLargestTable.toFixed(3)),
          peakExtraDataOverLargestTable: Number((peaks.normal.data / largest).toFixed(3)),
          tightBudgetMb: Number((budgetBytes / 1024 ** 2).toFixed(1)),
          tightSeconds: Number((tight.total / 1000).toFixed(2)),
          tightSlowdown: Number(tightSlowdown.toFixed(3)),
          tightPeakDataOverBudget: Number(tightPeakOverBudget.toFixed(3)),
          tightPeakWithWalOverBudget: Number((peaks.tight.withWal / budgetBytes).toFixed(3)),
          walWrittenMb: Number((peaks.normal.walWritten / 1024 ** 2).toFixed(1)),
          tightWalWrittenMb: Number((peaks.tight.walWritten / 1024 ** 2).toFixed(1)),
          tables: rows.map((row) => ({
            table: row.table,
            baselineSeconds: row.baselineMs / 1000,
            reforkSeconds: row.reforkMs / 1000,
            speedup: row.speedup,
          })),
        }),
      );
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

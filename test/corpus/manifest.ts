// The conformance corpus: schemas of real public projects, taken at run time from the package
// registries this project's machines reach (npm and Debian) into a gitignored cache
// (download.ts), pinned by version and digest, never committed; plus one small schema of ours
// for what none of them has. Per schema: the project, where its schema comes from, its
// licence, which files are read and how they are loaded, and every change made on the way in
// with its reason. The truth files (truth/<name>.yml) are ours, written by hand from the DDL and
// the projects' documentation (docs/corpus.md says how).

export interface NpmSource {
  registry: 'npm';
  package: string;
  version: string;
  /** The registry's dist.integrity of that version's tarball. */
  integrity: string;
}

export interface DebianSource {
  registry: 'debian';
  package: string;
  /** Debian bookworm's version when the corpus was pinned; a point release may replace it (download.ts). */
  version: string;
  /** Path inside the package → sha256 of that file in the pinned version. */
  files: Record<string, string>;
}

export interface OwnSource {
  registry: 'ours';
}

export type Source = NpmSource | DebianSource | OwnSource;

export interface Substitution {
  find: string | RegExp;
  replace: string;
  why: string;
}

/** How the schema's SQL is put together from the package (load.ts). */
export type Loader =
  /** These files, in this order, as the project's installer feeds them to psql. */
  | { kind: 'files'; files: string[] }
  /** Logto's table files in the order and with the lifecycle scripts its CLI (`logto db seed`) uses. */
  | { kind: 'logto' }
  /** pg-boss's construction plan, from the package's own plan functions, and two queues made by its own create_queue. */
  | { kind: 'pg-boss' };

export interface CorpusSchema {
  name: string;
  project: string;
  /** The project's public page. */
  homepage: string;
  licence: string;
  source: Source;
  load: Loader;
  /** How it is loaded, in words, for docs/corpus.md and the report. */
  how: string;
  /** What it covers, for the README. */
  covers: string;
  /** Run as superuser before the schema (roles, extensions the project's installer creates first). */
  prelude?: string;
  substitutions?: Substitution[];
  /** Rows per table the filler aims for in a full corpus run. */
  rows: number;
}

export const CORPUS: CorpusSchema[] = [
  {
    name: 'logto',
    project: 'Logto, an open-source identity provider (auth for apps: users, OIDC, SAML, organizations)',
    homepage: 'https://github.com/logto-io/logto',
    licence: 'MPL-2.0',
    source: {
      registry: 'npm',
      package: '@logto/schemas',
      version: '1.43.0',
      integrity: 'sha512-96ujK0Sso2RRNi1s2vnIXO5vg+/yAAQAm0L4JUsvE1UOap4FbgmK7PJrku6Y7cgswkadXxNQ1/2ybOyhrw9K9w==',
    },
    load: { kind: 'logto' },
    how:
      'tables/*.sql plus the tenants table of lib/models/tenants.js, ordered by their `init_order` comments then by name, with ' +
      'tables/_before_all.sql first, tables/_after_each.sql after every table file not marked `no_after_each` (its `${name}` ' +
      'set to the table) and tables/_after_all.sql last, as `logto db seed` does; `${database}` is the database name and ' +
      '`${password}` a throw-away password',
    covers:
      '82 tables, row-level security on every tenant table (a restrictive and a permissive policy each), a trigger setting tenant_id, composite primary and foreign keys, jsonb profiles, identities and payloads, enums, a role per database with column grants',
    rows: 40,
  },
  {
    name: 'pg-boss',
    project: 'pg-boss, a job queue for Node.js on PostgreSQL',
    homepage: 'https://github.com/timgit/pg-boss',
    licence: 'MIT',
    source: {
      registry: 'npm',
      package: 'pg-boss',
      version: '12.38.0',
      integrity: 'sha512-felA3fyPSJwWk5cb/VwAgnudCAzWEdgBjjf+eukXm8pExlwkhjdBbOMukMyG5s8uZHO6fZZZcaIaTa3oKpfSCg==',
    },
    load: { kind: 'pg-boss' },
    how:
      'the SQL of `Contractor.constructionPlans("pgboss")` in dist/contractor.js (what the exported getConstructionPlans returns; ' +
      'the package entry point needs dependencies the corpus does not install), then `createQueue` of dist/plans.js for a ' +
      'standard queue and a partitioned one, run in a separate Node process',
    covers:
      'a schema other than public, a job table partitioned by LIST (a DEFAULT partition and one per partitioned queue), queue statistics partitioned by RANGE, an enum, uuid keys, jsonb payloads and outputs, plpgsql functions',
    rows: 40,
  },
  {
    name: 'refork-crm',
    project: 'this repository: a small schema of ours for what no packaged schema here has',
    homepage: 'test/corpus/schemas/refork-crm.sql',
    licence: 'MIT (this repository)',
    source: { registry: 'ours' },
    load: { kind: 'files', files: ['refork-crm.sql'] },
    how: 'test/corpus/schemas/refork-crm.sql as it is',
    covers:
      'citext emails, a virtual and a stored generated column over personal columns, search vectors kept by a plpgsql trigger and by tsvector_update_trigger from personal columns, a materialized view and a view of personal data, uuidv7 keys, a self-referencing foreign key, a domain, an enum, text[], a bytea portrait, inet, a table partitioned by RANGE, row-level security',
    rows: 60,
  },
  {
    name: 'request-tracker',
    project: 'Request Tracker (RT) 5, a ticketing system by Best Practical',
    homepage: 'https://bestpractical.com/request-tracker',
    licence: 'GPL-2',
    source: {
      registry: 'debian',
      package: 'request-tracker5',
      version: '5.0.3+dfsg-3~deb12u7',
      files: { 'usr/share/request-tracker5/etc/schema.Pg': '541ae7d39dd4d28810ce247a21982dd3236286f67e1230d2a5ea904bfe53c45c' },
    },
    load: { kind: 'files', files: ['usr/share/request-tracker5/etc/schema.Pg'] },
    how: 'etc/schema.Pg as it is (what rt-setup-database runs for PostgreSQL)',
    covers: 'users with real names, emails, four phone numbers, postal addresses and signatures; mail headers and bodies of tickets',
    rows: 60,
  },
  {
    name: 'mediawiki',
    project: 'MediaWiki 1.39, the wiki engine of Wikipedia',
    homepage: 'https://www.mediawiki.org',
    licence: 'GPL-2.0+',
    source: {
      registry: 'debian',
      package: 'mediawiki',
      version: '1:1.39.17-1+deb12u2',
      files: {
        'usr/share/mediawiki/maintenance/postgres/tables-generated.sql': '29824d64e847554600d28643c14d93ec3e8be1f21fc8581b0b6661b2045c5fd3',
      },
    },
    load: { kind: 'files', files: ['usr/share/mediawiki/maintenance/postgres/tables-generated.sql'] },
    how: 'maintenance/postgres/tables-generated.sql as it is (no table prefix: its `/*_*/` markers stay comments)',
    covers:
      'the user table (names, real names, emails, password hashes, tokens), actors, IP addresses of anonymous edits as text and hex, bot passwords, an enum',
    rows: 60,
  },
  {
    name: 'roundcube',
    project: 'Roundcube 1.6, a webmail client',
    homepage: 'https://roundcube.net',
    licence: 'GPL-3+',
    source: {
      registry: 'debian',
      package: 'roundcube-core',
      version: '1.6.5+dfsg-1+deb12u14',
      files: { 'usr/share/roundcube/SQL/postgres.initial.sql': '2f8617968c9710e1a67398c9d61082906dd8ceac1eddaf1265632b998723ae9f' },
    },
    load: { kind: 'files', files: ['usr/share/roundcube/SQL/postgres.initial.sql'] },
    how: 'SQL/postgres.initial.sql as it is',
    covers:
      'address-book contacts with vCards, identities with emails and signatures, collected addresses, cached mail, sessions with IPs, a column named reply-to',
    rows: 60,
  },
  {
    name: 'ledgersmb',
    project: 'LedgerSMB 1.6, double-entry accounting and ERP',
    homepage: 'https://ledgersmb.org',
    licence: 'GPL-2+',
    source: {
      registry: 'debian',
      package: 'ledgersmb',
      version: '1.6.33+ds-2.1',
      files: { 'usr/share/ledgersmb/sql/Pg-database.sql': 'f2ea902be32aa826160056be48ce1de8ec14fb86e303e6f744562d6da686a38c' },
    },
    load: { kind: 'files', files: ['usr/share/ledgersmb/sql/Pg-database.sql'] },
    how:
      'sql/Pg-database.sql as it is; the sql/modules stored procedures are left out (on their own they do not load: the installer applies ' +
      'sql/changes between them)',
    covers:
      '164 tables: persons, employees (SSN, birth date), companies (tax ids), locations, contacts, bank accounts (IBAN), payroll; table inheritance (notes, files, translations), bytea files, tsvector note columns, composite keys, triggers, views, a composite type',
    rows: 30,
  },
  {
    name: 'zabbix',
    project: 'Zabbix 6.0, network and server monitoring',
    homepage: 'https://www.zabbix.com',
    licence: 'GPL-2+',
    source: {
      registry: 'debian',
      package: 'zabbix-server-pgsql',
      version: '1:6.0.14+dfsg-1+b1',
      files: { 'usr/share/zabbix-server-pgsql/schema.sql.gz': 'f73dab73321b70712c917ab83ac3bd3e273b50f454dec822eaad2d90ca76a36d' },
    },
    load: { kind: 'files', files: ['usr/share/zabbix-server-pgsql/schema.sql.gz'] },
    how: 'schema.sql.gz, uncompressed, as it is (the package also ships images and optional history conversions, not loaded)',
    covers:
      '173 tables, most about machines: users, media, audit log, the points of contact of a host inventory, log lines, and passwords, passphrases, pre-shared keys and SNMP communities in many tables',
    rows: 20,
  },
];

export function schemaNamed(name: string): CorpusSchema {
  const schema = CORPUS.find((candidate) => candidate.name === name);
  if (!schema) throw new Error(`no corpus schema ${name}; the corpus holds ${CORPUS.map((s) => s.name).join(', ')}`);
  return schema;
}

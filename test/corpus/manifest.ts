// The conformance corpus: public schemas from real projects and well-known sample databases,
// vendored verbatim under schemas/<name>/ (source, commit and licence in schemas/SOURCES.md).
// What the loader changes on the way in is listed here, each with its reason: only extensions
// this suite's PostgreSQL does not ship are stood in for, and psql meta-commands are skipped.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SCHEMAS_DIR = new URL('./schemas/', import.meta.url).pathname;

export interface Substitution {
  find: string | RegExp;
  replace: string;
  why: string;
}

export interface CorpusSchema {
  name: string;
  /** What it covers, for the report and the README. */
  covers: string;
  /** SQL files under schemas/<name>/, loaded in order (a directory loads its *.sql files sorted). */
  files: string[];
  /** Run as superuser before the files: roles and schemas the project's own platform provides. */
  prelude?: string;
  substitutions?: Substitution[];
  /** Rows per table the filler aims for in a full corpus run. */
  rows: number;
}

const NO_PGVECTOR = 'pgvector is not shipped with the suite’s PostgreSQL; a real[] column stands in for vector(n)';

export const CORPUS: CorpusSchema[] = [
  {
    name: 'pagila',
    covers:
      'uuidv7 columns, a table partitioned by month, a trigger-maintained tsvector, a virtual generated column, enum and domain types, text[], bytea picture, views, materialized views',
    files: ['schema.sql'],
    substitutions: [
      { find: 'CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;', replace: '', why: NO_PGVECTOR },
      { find: /COMMENT ON EXTENSION vector IS [^;]*;/, replace: '', why: NO_PGVECTOR },
      { find: 'public.vector(20)', replace: 'real[]', why: NO_PGVECTOR },
      { find: /CREATE INDEX film_embedding_embedding_hnsw_idx [^;]*;/, replace: '', why: NO_PGVECTOR },
    ],
    rows: 120,
  },
  {
    name: 'chinook',
    covers: 'a self-referencing foreign key (employee.reports_to), customers and employees with addresses, phones, faxes, companies',
    files: ['schema.sql'],
    rows: 120,
  },
  {
    name: 'adventureworks',
    covers:
      'five schemas other than public, domains (Name, Phone, Flag), uuid rowguid columns, composite primary and foreign keys, xml, bytea photos, national ids, credit cards, 88 views',
    files: ['install.sql'],
    substitutions: [
      {
        find: /INSERT INTO Production\.ProductReview \(ProductReviewID[\s\S]*?'\);\n/,
        replace: '',
        why: 'sample rows written inline (the other tables load theirs from CSV files with \\copy): the filler writes every table’s rows',
      },
    ],
    rows: 60,
  },
  {
    name: 'supabase',
    covers:
      'Supabase Auth (uuid keys, the auth schema, enums, inet, jsonb user metadata, a stored generated email column, row-level security) under the Slack-clone example app (RLS policies, a trigger copying emails into profiles, a publication)',
    files: ['auth-migrations', 'slack-clone.sql'],
    prelude: `
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
      END $$;
      CREATE SCHEMA IF NOT EXISTS auth;
      CREATE SCHEMA IF NOT EXISTS extensions;
      CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
      CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;`,
    substitutions: [
      {
        find: /\{\{ ?index \.Options "Namespace" \}\}/g,
        replace: 'auth',
        why: 'Supabase Auth renders its migrations with the schema name; Supabase uses `auth`',
      },
    ],
    rows: 80,
  },
  {
    name: 'danbooru',
    covers: 'inet columns of every user action, tsvector search columns, text[] and jsonb, pg_trgm and btree_gin indexes',
    files: ['structure.sql'],
    rows: 60,
  },
  {
    name: 'lago',
    covers:
      'a large Rails app: 139 tables, 529 uuid columns, 43 enum types, 33 views, 3 materialized views, partitioned tables, customers with tax ids, addresses, zip codes and states',
    files: ['structure.sql'],
    substitutions: [
      {
        find: 'CREATE EXTENSION IF NOT EXISTS pg_partman WITH SCHEMA partman;',
        replace: '',
        why: 'pg_partman is not shipped with the suite’s PostgreSQL; the partitioned tables are declared natively and only its template table is kept',
      },
    ],
    rows: 30,
  },
];

/** The schema's SQL with the listed substitutions applied and psql meta-commands (\copy, \pset…) removed. */
export async function schemaSql(schema: CorpusSchema): Promise<string> {
  const parts: string[] = [];
  for (const file of schema.files) {
    const path = join(SCHEMAS_DIR, schema.name, file);
    const entries = await readdir(path).catch(() => undefined);
    const paths = entries
      ? entries
          .filter((name) => name.endsWith('.sql'))
          .sort()
          .map((name) => join(path, name))
      : [path];
    for (const each of paths) parts.push(await readFile(each, 'utf8'));
  }
  let sql = parts.join('\n;\n');
  for (const substitution of schema.substitutions ?? []) {
    const before = sql;
    sql =
      typeof substitution.find === 'string'
        ? sql.replaceAll(substitution.find, substitution.replace)
        : sql.replace(substitution.find, substitution.replace);
    if (sql === before) throw new Error(`corpus ${schema.name}: substitution ${String(substitution.find)} matched nothing`);
  }
  return sql
    .split('\n')
    .filter((line) => !/^\s*\\/.test(line))
    .join('\n');
}

// Hands every object of a freshly copied database to the add-on's own role, like Heroku's
// default credential that owns its database. REASSIGN OWNED is not used: it cannot take objects
// from the bootstrap superuser, and it would also move ownership of shared objects (the source
// database itself). Statements are built by the server with format('%I'), never from input.
import type pg from 'pg';

const USER_SCHEMA = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;

function notExtensionMember(catalog: string, alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${alias}.oid AND d.deptype = 'e')`;
}

// Order matters: tables carry their owned sequences and indexes along, so standalone sequences
// are looked up only after the tables moved.
const statements: string[] = [
  `SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, $1::text) FROM pg_namespace n
    WHERE ${USER_SCHEMA} AND n.nspowner <> $1::regrole AND ${notExtensionMember('pg_namespace', 'n')}`,
  `SELECT format('ALTER %s %s OWNER TO %I',
      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      c.oid::regclass, $1::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner <> $1::regrole
      AND ${notExtensionMember('pg_class', 'c')}`,
  `SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, $1::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_SCHEMA} AND c.relkind = 'S' AND c.relowner <> $1::regrole AND ${notExtensionMember('pg_class', 'c')}`,
  `SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $1::text)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE ${USER_SCHEMA} AND p.proowner <> $1::regrole AND ${notExtensionMember('pg_proc', 'p')}`,
  `SELECT format('ALTER %s %s OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype, $1::text)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_class c ON c.oid = t.typrelid
    WHERE ${USER_SCHEMA} AND t.typowner <> $1::regrole AND t.typelem = 0
      AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
      AND ${notExtensionMember('pg_type', 't')}`,
];

/** Runs inside the target database as superuser. */
export async function transferOwnership(client: pg.Client, role: string): Promise<void> {
  for (const statement of statements) {
    const result = await client.query<{ format: string }>(statement, [role]);
    for (const row of result.rows) await client.query(row.format);
  }
}

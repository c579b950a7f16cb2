// Creates a database holding one corpus schema, as its project would: the platform's prelude
// (roles, schemas) first, then the vendored SQL, all as the server's superuser.
import pg from 'pg';
import { schemaSql, type CorpusSchema } from './manifest.js';

export async function loadSchema(databaseUrl: string, schema: CorpusSchema): Promise<void> {
  const sql = await schemaSql(schema);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (schema.prelude) await client.query(schema.prelude);
    await client.query(sql);
    // pg_dump output empties search_path for its session; the filler and refork start afresh.
  } catch (error) {
    throw new Error(`corpus ${schema.name}: loading the schema failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end();
  }
}

// Indexes gate (docs/anonymization.md#gates): every index is valid and ready, so unique
// constraints are enforced again.
import { EXCLUDED_SCHEMAS } from '../catalog.js';
import type { Gate } from './check.js';

export const indexesGate: Gate = {
  name: 'indexes',
  async run({ client }) {
    const result = await client.query<{ index: string }>(
      `SELECT i.indexrelid::regclass::text AS index
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT (i.indisvalid AND i.indisready AND i.indislive) AND n.nspname <> ALL ($1::text[])`,
      [EXCLUDED_SCHEMAS],
    );
    return result.rows.map((row) => `index ${row.index} is not valid: rebuild it (REINDEX INDEX ${row.index}) before promotion`);
  },
};

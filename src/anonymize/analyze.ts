// The statistics pass after a table is masked (docs/anonymization.md#refreshing-the-statistics).
// Until ANALYZE, pg_stats (most common values, histogram bounds) and extended statistics still
// show original values to anyone who can read the table. Only what masking wrote is analyzed: the
// masked columns and what follows from them (stored generated columns, columns a self-referencing
// foreign key updates), plus every column an extended statistics object of the table is built
// on, because ANALYZE with a column list skips (and leaves as it was) any object over a column
// outside the list. The columns no rule touched hold the values they held, so their statistics
// stay true. The whole table is analyzed where a column list cannot reach everything written: a
// trigger recomputes columns, or an expression index holds statistics of its own (ANALYZE
// computes those only without a column list).
import type pg from 'pg';
import type { TableInfo } from './catalog.js';
import type { TableStep } from './plan.js';
import { quoteIdent, quoteTable } from './quote.js';

type UpdateStep = Extract<TableStep, { kind: 'update' }>;

/** Foreign-key actions that write the referencing columns when the referenced ones change. */
const WRITING_ACTIONS = ['c', 'n', 'd'];

/**
 * Analyzes what masking `step` wrote: the table (and its partitions), the tables whose foreign
 * keys follow the masked columns, and the table's inheritance parents. Call in the table's
 * masking transaction, so "done" in the ledger always means "analyzed".
 */
export async function analyzeMasked(client: pg.Client, step: UpdateStep, table: TableInfo): Promise<void> {
  const masked = step.columns.map((column) => column.column);
  const relations = [table.name, ...table.partitions].map(quoteTable);
  await analyzeWritten(client, quoteTable(step.table), relations, step.recompute.length > 0 ? 'all' : masked);
  for (const follower of await followers(client, step.table, masked)) {
    await analyzeWritten(client, follower.name, await partitionsOf(client, follower.name), follower.columns);
  }
  for (const ancestor of await ancestors(client, step.table)) await analyzeWritten(client, ancestor, [ancestor], masked);
}

interface RelationFacts {
  /** An index with expressions, whose statistics ANALYZE computes only without a column list. */
  expression_index: boolean;
  /** Every column, in order. */
  columns: string[];
  /** Edges "when `from` changes, `to` is written": stored generated columns from their inputs, self-referencing keys from what they reference. */
  follows: Array<{ from: string; to: string }>;
  /** Columns an extended statistics object is built on. */
  extended: string[];
}

/** What ANALYZE must cover once `written` columns changed: a column list, or the whole table. */
export async function statisticsTargets(
  client: pg.Client,
  /** The relation first, then (for a partitioned table) its partitions, quoted; their indexes and statistics objects count. */
  relations: string[],
  written: string[],
): Promise<string[] | 'all'> {
  const found = await client.query<RelationFacts>(
    `WITH rel AS (SELECT pg_catalog.unnest($1::text[])::regclass AS oid)
     SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN rel ON i.indrelid = rel.oid WHERE i.indexprs IS NOT NULL) AS expression_index,
            ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = ($1::text[])[1]::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
            ARRAY(SELECT pg_catalog.jsonb_build_object('from', i.attname, 'to', g.attname)
                    FROM pg_catalog.pg_attribute g JOIN rel ON g.attrelid = rel.oid
                    -- A generated column depends on the columns its expression reads (or its default expression does).
                    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = g.attrelid
                     AND (d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = g.attrelid AND d.objsubid = g.attnum
                          OR d.classid = 'pg_catalog.pg_attrdef'::regclass
                             AND d.objid IN (SELECT ad.oid FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = g.attrelid AND ad.adnum = g.attnum))
                    JOIN pg_catalog.pg_attribute i ON i.attrelid = d.refobjid AND i.attnum = d.refobjsubid
                   WHERE g.attgenerated = 's'
                  UNION
                  SELECT pg_catalog.jsonb_build_object('from', r.attname, 'to', a.attname)
                    FROM pg_catalog.pg_constraint k JOIN rel ON k.conrelid = rel.oid
                    CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(k.confkey), pg_catalog.unnest(k.conkey)) AS p(referenced, referencing)
                    JOIN pg_catalog.pg_attribute r ON r.attrelid = k.confrelid AND r.attnum = p.referenced
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = p.referencing
                   WHERE k.contype = 'f' AND k.confrelid = k.conrelid AND k.confupdtype = ANY ($2::"char"[])) AS follows,
            ARRAY(SELECT DISTINCT a.attname::text FROM pg_catalog.pg_statistic_ext s JOIN rel ON s.stxrelid = rel.oid
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = ANY (s.stxkeys::int2[])) AS extended`,
    [relations, WRITING_ACTIONS],
  );
  const facts = found.rows[0];
  if (!facts || facts.expression_index) return 'all';
  const changed = new Set(written.filter((name) => facts.columns.includes(name)));
  // What follows from a changed column changed too, to the end of the chain.
  for (let grew = true; grew;) {
    grew = false;
    for (const edge of facts.follows) {
      if (changed.has(edge.from) && !changed.has(edge.to)) {
        changed.add(edge.to);
        grew = true;
      }
    }
  }
  if (changed.size === 0) return [];
  // A statistics object is rebuilt only when all its columns are analyzed; one left out keeps what it held.
  for (const name of facts.extended) changed.add(name);
  return facts.columns.filter((name) => changed.has(name));
}

async function analyzeWritten(client: pg.Client, relation: string, relations: string[], written: string[] | 'all'): Promise<void> {
  const targets = written === 'all' ? 'all' : await statisticsTargets(client, relations, written);
  if (targets === 'all') await client.query(`ANALYZE ${relation}`);
  else if (targets.length > 0) await client.query(`ANALYZE ${relation} (${targets.map(quoteIdent).join(', ')})`);
}

/**
 * Other tables whose foreign keys follow the masked columns (ON UPDATE CASCADE, SET NULL, SET
 * DEFAULT): their rows changed with the masked values, their statistics still show the originals.
 */
async function followers(
  client: pg.Client,
  table: TableInfo['name'],
  masked: string[],
): Promise<Array<{ name: string; columns: string[] }>> {
  const found = await client.query<{ name: string; columns: string[] }>(
    `SELECT k.conrelid::regclass::text AS name, pg_catalog.array_agg(DISTINCT a.attname::text) AS columns
       FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_attribute r ON r.attrelid = k.confrelid AND r.attnum = ANY (k.confkey)
       JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
      WHERE k.contype = 'f' AND k.confupdtype = ANY ($3::"char"[]) AND k.confrelid = $1::regclass AND r.attname = ANY ($2::text[])
        AND k.conrelid <> k.confrelid
        -- A partition's copy of its partitioned table's key: the partitioned table is analyzed, its partitions with it.
        AND k.conparentid = 0
      GROUP BY k.conrelid`,
    [quoteTable(table), masked, WRITING_ACTIONS],
  );
  return found.rows;
}

/** A partitioned table's partitions at every depth, with itself first; a plain table alone. */
async function partitionsOf(client: pg.Client, relation: string): Promise<string[]> {
  const found = await client.query<{ name: string }>(
    `SELECT t.relid::regclass::text AS name FROM pg_catalog.pg_partition_tree($1::regclass) t ORDER BY t.level`,
    [relation],
  );
  return found.rows.length > 0 ? found.rows.map((row) => row.name) : [relation];
}

/**
 * An inheritance parent's statistics cover its children's rows too (pg_stats, inherited = true),
 * taken when the parent was analyzed: the child's originals until the parent is analyzed again.
 * Partitions are masked through their table, so only plain parents count.
 */
async function ancestors(client: pg.Client, table: TableInfo['name']): Promise<string[]> {
  const found = await client.query<{ name: string }>(
    `WITH RECURSIVE up(oid) AS (
       SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = $1::regclass
       UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid)
     SELECT c.oid::regclass::text AS name FROM up JOIN pg_catalog.pg_class c ON c.oid = up.oid WHERE c.relkind = 'r'`,
    [quoteTable(table)],
  );
  return found.rows.map((row) => row.name);
}

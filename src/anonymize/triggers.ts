// User triggers are switched off while a table is masked (an audit trigger would otherwise copy
// every original value somewhere else) and put back exactly as they were, in the same
// transaction. The triggers that compute columns of their own row from masked ones (derived.ts)
// stay on, so those columns are computed again from the masked values. Only the owner's ALTER TABLE … DISABLE TRIGGER is used: no superuser, no
// session_replication_role, and the internal foreign-key triggers are left alone.
import type pg from 'pg';
import { quoteIdent, quoteTable, type TableName } from './quote.js';

interface TriggerState {
  relation: string;
  name: string;
  /** pg_trigger.tgenabled: O fires normally, A always, R only in replica mode. */
  mode: string;
}

export async function disableUserTriggers(
  client: pg.Client,
  table: TableName,
  keep: ReadonlySet<string> = new Set(),
): Promise<TriggerState[]> {
  const result = await client.query<{ schema: string; relname: string; tgname: string; tgenabled: string }>(
    `SELECT n.nspname AS schema, c.relname, t.tgname, t.tgenabled::text AS tgenabled
       FROM (SELECT $1::regclass AS relid, 0 AS level
              UNION SELECT relid, level FROM pg_catalog.pg_partition_tree($1::regclass)) p
       JOIN pg_catalog.pg_trigger t ON t.tgrelid = p.relid
       JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'
      ORDER BY p.level, c.relname, t.tgname`,
    [quoteTable(table)],
  );
  // A partition's clone of a kept trigger has the kept trigger's name.
  const states = result.rows
    .filter((row) => !keep.has(row.tgname))
    .map((row) => ({
      relation: quoteTable({ schema: row.schema, table: row.relname }),
      name: row.tgname,
      mode: row.tgenabled,
    }));
  for (const state of states) await client.query(`ALTER TABLE ${state.relation} DISABLE TRIGGER ${quoteIdent(state.name)}`);
  return states;
}

export async function restoreTriggers(client: pg.Client, states: TriggerState[]): Promise<void> {
  for (const state of states) {
    const how = state.mode === 'A' ? 'ENABLE ALWAYS' : state.mode === 'R' ? 'ENABLE REPLICA' : 'ENABLE';
    await client.query(`ALTER TABLE ${state.relation} ${how} TRIGGER ${quoteIdent(state.name)}`);
  }
}

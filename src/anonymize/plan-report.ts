// `refork plan`: what anonymization would do to a database, without writing: per table the
// strategy, the statement, the estimated rows and size, the columns nobody classified, and
// optionally a preview of masked rows computed by a read-only SELECT of the same expressions.
import type pg from 'pg';
import { loadCatalog } from './catalog.js';
import { findUncovered, suggestPatch } from './coverage.js';
import { compilePlan, ROW_ALIAS } from './plan.js';
import { displayTable, quoteIdent, quoteTable } from './quote.js';
import type { AnonymizeRules } from './rules.js';
import { messageOf, scrub } from './session.js';
import { typecheckRules } from './typecheck.js';
import { listMaterializedViews } from './views.js';
import { databaseBytes as currentDatabaseBytes, diskOutlook, maskingRoom, type TableOutlook } from './disk.js';
import { formatBytes } from '../bytes.js';

export interface PlannedTable {
  table: string;
  action: 'update' | 'truncate' | 'refresh';
  estimatedRows: number;
  totalBytes: number;
  columns: Array<{ column: string; strategy: string }>;
  /** The statement as it would run; values (the key among them) appear as $n. */
  sql: string;
  preview?: Array<Record<string, unknown>>;
  /** How the table would be masked for the disk the fork has, and what that costs at its peak. */
  disk?: { method: TableOutlook['method']; peakBytes: number; timeClass: TableOutlook['timeClass']; problem?: string };
}

export interface PlanReport {
  ok: boolean;
  tables: PlannedTable[];
  uncovered: Array<{ table: string; columns: string[] }>;
  suggestedPatch?: string;
  problems: string[];
  /** Masking's peak against the fork plan's disk (docs/disk.md). */
  disk?: {
    databaseBytes: number;
    largestTableBytes: number;
    /** The most extra disk masking holds at once. */
    peakBytes: number;
    /** The fork plan's storage, when known. */
    storageBytes?: number;
    /** What masking may use: the budget, or the storage (less its reserve) the data leaves. */
    roomBytes?: number;
  };
}

export interface PlanOptions {
  connect: () => Promise<pg.Client>;
  rules: AnonymizeRules;
  /** Needed only for previews; the plan itself never contains it. */
  key?: string;
  /** Masked sample rows per table (0: none). */
  previewRows?: number;
  /** The fork's disk: its plan's storage and the pipeline's budget, when known. */
  disk?: { storageBytes?: number; budgetBytes?: number };
}

export async function planAnonymization(options: PlanOptions): Promise<PlanReport> {
  const key = options.key ?? 'plan-without-a-key';
  const report: PlanReport = { ok: true, tables: [], uncovered: [], problems: [] };
  let client: pg.Client | undefined;
  try {
    client = await options.connect();
    // Nothing here writes: the whole plan, previews included, reads one snapshot.
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const catalog = await loadCatalog(client);
    const uncovered = findUncovered(options.rules, catalog);
    report.uncovered = uncovered.map((item) => ({ table: item.display, columns: item.columns.map((column) => column.name) }));
    if (uncovered.length > 0) {
      report.suggestedPatch = suggestPatch(uncovered);
      report.problems.push(`${uncovered.length} table(s) have unclassified columns: preflight would refuse to start a run`);
    }
    // Every rule compiled against its real table; what does not fit is listed, the rest planned.
    report.problems.push(...(await typecheckRules(client, options.rules, catalog)));
    const { plan } = compilePlan(options.rules, catalog, { key });
    const sizes = await tableSizes(client);
    for (const step of plan.truncates) {
      report.tables.push({
        table: step.display,
        action: 'truncate',
        estimatedRows: step.estimatedRows,
        totalBytes: sizes.get(step.display) ?? 0,
        columns: [],
        sql: `TRUNCATE TABLE ${quoteTable(step.table)}`,
      });
    }
    const previews = (options.previewRows ?? 0) > 0 && options.key !== undefined;
    if ((options.previewRows ?? 0) > 0 && !previews) report.problems.push('no preview: set REFORK_ANONYMIZE_KEY to compute masked rows');
    for (const step of plan.updates) {
      const planned: PlannedTable = {
        table: step.display,
        action: 'update',
        estimatedRows: step.estimatedRows,
        totalBytes: sizes.get(step.display) ?? 0,
        columns: step.columns.map((column) => ({ column: column.column, strategy: column.strategy.kind })),
        sql: step.sql,
      };
      if (previews) {
        const select = step.columns.map((column) => `${column.expression} AS ${quoteIdent(column.column)}`).join(', ');
        // A mask that fails on these rows is a problem of its own; the other tables are still planned.
        await client.query('SAVEPOINT refork_preview');
        try {
          const rows = await client.query(
            `SELECT ${select} FROM ${quoteTable(step.table)} AS ${ROW_ALIAS} LIMIT ${Math.floor(options.previewRows ?? 0)}`,
            step.params,
          );
          planned.preview = rows.rows;
          await client.query('RELEASE SAVEPOINT refork_preview');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT refork_preview');
          report.problems.push(`${step.display}: masking the preview rows failed: ${scrub(messageOf(error), key)}`);
        }
      }
      report.tables.push(planned);
    }
    for (const view of await listMaterializedViews(client)) {
      report.tables.push({
        table: view.display,
        action: 'refresh',
        estimatedRows: 0,
        totalBytes: sizes.get(view.display) ?? 0,
        columns: [],
        sql: `REFRESH MATERIALIZED VIEW ${quoteTable(view.name)}`,
      });
    }
    const databaseBytes = await currentDatabaseBytes(client);
    const room = options.disk ? maskingRoom(options.disk, databaseBytes) : undefined;
    const outlook = await diskOutlook(client, options.rules, room);
    for (const table of outlook.tables) {
      const planned = report.tables.find((candidate) => candidate.table === table.table);
      if (planned)
        planned.disk = {
          method: table.method,
          peakBytes: table.peakBytes,
          timeClass: table.timeClass,
          ...(table.problem ? { problem: table.problem } : {}),
        };
      if (table.problem) report.problems.push(table.problem);
    }
    report.disk = {
      databaseBytes: outlook.databaseBytes,
      largestTableBytes: outlook.largestTableBytes,
      peakBytes: outlook.peakBytes,
      ...(options.disk?.storageBytes === undefined ? {} : { storageBytes: options.disk.storageBytes }),
      ...(room === undefined ? {} : { roomBytes: room }),
    };
  } catch (error) {
    report.problems.push(scrub(messageOf(error), key));
  } finally {
    await client?.query('ROLLBACK').catch(() => {});
    await client?.end().catch(() => {});
  }
  report.ok = report.problems.length === 0;
  return report;
}

async function tableSizes(client: pg.Client): Promise<Map<string, number>> {
  const result = await client.query<{ schema: string; name: string; bytes: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_catalog.pg_total_relation_size(c.oid) AS bytes
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return new Map(result.rows.map((row) => [displayTable({ schema: row.schema, table: row.name }), Number(row.bytes)]));
}

/** The plan as a human reads it in a terminal. */
export function formatPlan(report: PlanReport): string {
  const lines: string[] = [];
  for (const table of report.tables) {
    const columns = table.columns.map((column) => `${column.column}: ${column.strategy}`).join(', ');
    lines.push(
      `${table.action.padEnd(8)} ${table.table}  ~${table.estimatedRows} rows, ${formatBytes(table.totalBytes)}${columns ? `  [${columns}]` : ''}`,
    );
    if (table.disk)
      lines.push(`         masked by ${table.disk.method} (${table.disk.timeClass}), peak +${formatBytes(table.disk.peakBytes)} of disk`);
    lines.push(`         ${table.sql.length > 300 ? `${table.sql.slice(0, 300)}…` : table.sql}`);
    for (const row of table.preview ?? []) lines.push(`         preview: ${JSON.stringify(row)}`);
  }
  for (const item of report.uncovered) lines.push(`UNCOVERED ${item.table}: ${item.columns.join(', ')}`);
  if (report.suggestedPatch) lines.push('', 'Suggested rules (review, then add under anonymize:):', report.suggestedPatch);
  if (report.disk) lines.push(formatDisk(report.disk));
  for (const problem of report.problems) lines.push(`problem: ${problem}`);
  return lines.join('\n');
}

function formatDisk(disk: NonNullable<PlanReport['disk']>): string {
  const need = `disk: masking's peak is +${formatBytes(disk.peakBytes)} on the ${formatBytes(disk.databaseBytes)} of data (largest table ${formatBytes(disk.largestTableBytes)})`;
  if (disk.storageBytes === undefined || disk.roomBytes === undefined)
    return `${need}; the fork plan's storage is unknown (set disk.storage_gb)`;
  const verdict = disk.peakBytes <= disk.roomBytes ? 'fits' : 'does not fit: the tables that do not fit are masked in stripes, slower';
  return `${need}, against the fork plan's ${formatBytes(disk.storageBytes)}, ${formatBytes(Math.max(0, disk.roomBytes))} of them free for masking: ${verdict}`;
}

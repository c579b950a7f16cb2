// Fix-ups gate (docs/fixups.md#verification): every configured fix-up was applied by this run,
// exactly as configured, and none that is not; and every row a fix-up wrote is read in full (not
// sampled) by the PII detectors, in every scannable column: a fix-up that puts a real-looking
// email, phone number, card… back, into a masked column or any other, blocks promotion. What a
// fix-up wrote is the pipeline's own value, not production's, so the shape checks of masked
// columns (the formats gate) do not judge those rows: a known test password is not a leak.
import { detectPii, PII_LABELS, type PiiKind } from '../detect.js';
import type { AppliedFixup } from '../fixups.js';
import { displayTable, quoteIdent, quoteTable, type TableName } from '../quote.js';
import { sampledText } from '../sample.js';
import { isScannable } from '../value-kind.js';
import type { Gate, GateContext } from './check.js';

/** Rows of one table read per fix-up; a value a mass update wrote is in every row it wrote. */
export const FIXUP_ROWS_READ = 50_000;

export const fixupsGate: Gate = {
  name: 'fixups',
  async run(context) {
    const { expected, applied } = context.fixups;
    const problems: string[] = [];
    const byOrdinal = new Map(applied.map((fixup) => [fixup.ordinal, fixup]));
    for (const fixup of expected) {
      const found = byOrdinal.get(fixup.ordinal);
      if (!found) problems.push(`fix-up ${fixup.ordinal} was not applied by run ${context.runId} (no row in refork.fixups)`);
      else if (found.digest !== fixup.digest)
        problems.push(`fix-up ${fixup.ordinal} applied by run ${context.runId} is not the one configured now (digest ${found.digest})`);
    }
    for (const fixup of applied) {
      if (fixup.ordinal > expected.length)
        problems.push(`fix-up ${fixup.ordinal} was applied by run ${context.runId} but is no longer configured`);
    }
    for (const fixup of applied) {
      for (const table of fixup.tables) problems.push(...(await personalDataWritten(context, fixup, table)));
    }
    return problems;
  },
};

async function personalDataWritten(context: GateContext, fixup: AppliedFixup, written: TableName): Promise<string[]> {
  const { catalog, scope, client } = context;
  // Rows are where the fix-up wrote them (a partition); columns and rules are its table's.
  const table = catalog.find(catalog.partitionRoot(written) ?? written);
  if (!table) return [];
  const columns = table.columns.filter((column) => isScannable(column) && !scope.exempt(written, column.name)).map((c) => c.name);
  if (columns.length === 0) return [];
  const result = await client.query<Array<string | null>>({
    text: `SELECT ${columns.map(sampledText).join(', ')} FROM ONLY ${quoteTable(written)} AS r WHERE r.xmin::text = $1 LIMIT ${FIXUP_ROWS_READ}`,
    values: [fixup.xid],
    rowMode: 'array',
  });
  const problems: string[] = [];
  for (const [index, column] of columns.entries()) {
    const hits = new Map<PiiKind, number>();
    for (const row of result.rows) {
      const value = row[index];
      if (value === null || value === undefined) continue;
      for (const kind of detectPii(value, scope.allowedDomains)) hits.set(kind, (hits.get(kind) ?? 0) + 1);
    }
    for (const [kind, count] of hits) {
      problems.push(
        `fix-up ${fixup.ordinal} wrote what look like ${PII_LABELS[kind]} into ${displayTable(written)}.${quoteIdent(column)} (${count} of the ${result.rows.length} rows it wrote): a fix-up must not put personal data back; use reserved values (example.test, 555 numbers)`,
      );
    }
  }
  return problems;
}

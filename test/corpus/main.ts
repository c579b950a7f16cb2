// `npm run corpus [-- --json] [-- --schema logto --rows 40]`: every corpus schema through a
// whole refresh (refresh.ts), a report per schema, and a last line of JSON:
// {schemas, succeeded, leakedValues, scanRecall, scanPrecision, seconds}. Exits 1 when any
// schema failed or leaked (a harness error counts as a failure, never as a pass).
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../src/pg/embedded.js';
import { buildCli } from '../support/build.js';
import { CORPUS } from './manifest.js';
import { refreshSchema, type SchemaOutcome } from './refresh.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    schema: { type: 'string', multiple: true },
    rows: { type: 'string' },
  },
});

export interface CorpusSummary {
  schemas: number;
  succeeded: number;
  leakedValues: number;
  scanRecall: number;
  scanPrecision: number;
  seconds: number;
}

export function summarize(outcomes: SchemaOutcome[], seconds: number): CorpusSummary {
  const sum = (pick: (o: SchemaOutcome) => number) => outcomes.reduce((total, o) => total + pick(o), 0);
  const truth = sum((o) => o.scan?.truth ?? 0);
  const flagged = sum((o) => o.scan?.flagged ?? 0);
  const hits = sum((o) => o.scan?.truePositives ?? 0);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    schemas: outcomes.length,
    succeeded: outcomes.filter((o) => o.ok).length,
    leakedValues: sum((o) => o.leakedValues),
    scanRecall: truth ? round(hits / truth) : 0,
    scanPrecision: flagged ? round(hits / flagged) : 0,
    seconds: Math.round(seconds),
  };
}

function describe(outcome: SchemaOutcome): string[] {
  const lines = [`${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.schema}${outcome.version ? ` ${outcome.version}` : ''} (${outcome.seconds} s)`];
  if (outcome.scan) {
    const { truth, flagged, truePositives, missed, wrong } = outcome.scan;
    lines.push(`     scan: ${truePositives}/${truth} personal columns found, ${flagged} flagged`);
    if (missed.length) lines.push(`     scan missed: ${missed.join(', ')}`);
    if (wrong.length) lines.push(`     scan flagged wrongly: ${wrong.join(', ')}`);
  }
  if (outcome.fill.empty.length) lines.push(`     left empty by the filler: ${outcome.fill.empty.join('; ')}`);
  for (const failure of outcome.failures) lines.push(`     failure: ${failure}`);
  for (const problem of outcome.plan?.ok ? [] : (outcome.plan?.problems ?? [])) lines.push(`     plan: ${problem}`);
  for (const problem of outcome.run?.ok ? [] : (outcome.run?.problems ?? [])) lines.push(`     run: ${problem}`);
  for (const leak of outcome.leaks) lines.push(`     leak: ${leak}`);
  for (const difference of outcome.structure) lines.push(`     structure: ${difference}`);
  for (const note of outcome.notes) lines.push(`     note: ${note}`);
  return lines;
}

const selected = values.schema?.length ? CORPUS.filter((schema) => values.schema?.includes(schema.name)) : CORPUS;
if (selected.length === 0) {
  console.error(`corpus: no schema named ${values.schema?.join(', ')}; the corpus holds ${CORPUS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const rows = values.rows === undefined ? undefined : Number(values.rows);
if (rows !== undefined && !(Number.isInteger(rows) && rows > 0)) {
  console.error('corpus: --rows takes a whole number of rows per table');
  process.exit(2);
}

const started = Date.now();
let exitCode = 1;
buildCli();
const given = process.env.TEST_DATABASE_URL;
const server = given ? undefined : await startEmbeddedPostgres();
try {
  const url = given ?? server?.url ?? '';
  const outcomes: SchemaOutcome[] = [];
  for (const schema of selected) {
    const outcome = await refreshSchema(schema, { server: url, ...(rows ? { rows } : {}), log: (line) => console.error(line) });
    outcomes.push(outcome);
    if (values.json) console.log(JSON.stringify(outcome));
    else console.log(describe(outcome).join('\n'));
  }
  const summary = summarize(outcomes, (Date.now() - started) / 1000);
  console.log(JSON.stringify(summary));
  exitCode = summary.succeeded === summary.schemas && summary.leakedValues === 0 ? 0 : 1;
} finally {
  await server?.stop();
}
process.exit(exitCode);

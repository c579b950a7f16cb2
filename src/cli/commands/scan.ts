import { scanForPii } from '../../anonymize/index.js';
import { loadConfig, pipelineNamed } from '../../config/pipeline.js';
import { inspectedDatabase } from './inspected-database.js';

/**
 * `refork scan [pipeline] [--url]`: proposes an `anonymize:` section from column names and
 * sampled values. Only the proposal is printed (to stdout, ready to redirect); sampled values
 * never leave memory.
 */
export async function scanCommand(name: string | undefined, options: { url?: string; json?: boolean }): Promise<number> {
  const pipeline = name ? pipelineNamed(await loadConfig(process.env.REFORK_CONFIG?.trim() || 'refork.yml'), name) : undefined;
  const database = inspectedDatabase({ url: options.url, pipeline });
  const report = await scanForPii(database.connect);
  if (options.json) {
    console.log(JSON.stringify({ database: database.label, ...report }, null, 2));
    return 0;
  }
  const flagged = report.columns.filter((column) => column.suggestion.pii);
  console.error(`scanned ${report.columns.length} columns of ${database.label}: ${flagged.length} look personal`);
  for (const column of flagged) console.error(`  ${column.table}.${column.column}: ${column.suggestion.reason}`);
  console.log(report.suggestedRules);
  return 0;
}

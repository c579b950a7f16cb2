import { formatPlan, planAnonymization } from '../../anonymize/index.js';
import { loadConfig, pipelineNamed } from '../../config/pipeline.js';
import { forkStorageBytes } from '../../heroku/plan-storage.js';
import { registerSecret } from '../../log/redact.js';
import { inspectedDatabase } from './inspected-database.js';

/**
 * `refork plan <pipeline>`: what anonymizing would do to the source's schema, without writing:
 * per table the action, statement, size, uncovered columns, the masking method the fork's disk
 * allows with its peak extra disk and time class, the total peak against the fork plan's storage,
 * and optionally masked sample rows.
 * Exits 1 when the run would halt (uncovered columns, unique conflicts, a broken rule).
 */
export async function planCommand(name: string, options: { url?: string; preview?: number; json?: boolean }): Promise<number> {
  const config = await loadConfig(process.env.REFORK_CONFIG?.trim() || 'refork.yml');
  const pipeline = pipelineNamed(config, name);
  const key = process.env.REFORK_ANONYMIZE_KEY?.trim() || undefined;
  registerSecret(key);
  const database = inspectedDatabase({ url: options.url, pipeline });
  const storageBytes = forkStorageBytes({ plan: pipeline.plan, ...pipeline.disk });
  const report = await planAnonymization({
    connect: database.connect,
    rules: pipeline.anonymize,
    key,
    previewRows: options.preview ?? 0,
    disk: {
      ...(storageBytes === undefined ? {} : { storageBytes }),
      ...(pipeline.disk.budgetBytes === undefined ? {} : { budgetBytes: pipeline.disk.budgetBytes }),
    },
  });
  if (options.json) console.log(JSON.stringify({ database: database.label, ...report }, null, 2));
  else console.log(`plan for ${name} against ${database.label}\n${formatPlan(report)}`);
  return report.ok ? 0 : 1;
}

// The rollback window's end (docs/rollback.md): at each `tick`/`worker` beat, every previous
// database whose window has ended (database clock) is retired: recorded as `destroying`,
// destroyed (or detached when it is not refork's), recorded `destroyed`. One left `destroying`
// by a crash or a Heroku outage is simply retired again at the next beat; nothing inside its
// window is touched (the store re-checks the window in the statement that ends it).
import type { Logger } from '../log/logger.js';
import { retirePrevious, type PreviousDeps } from '../steps/previous.js';
import type { PreviousStore } from '../store/previous.js';

export interface ExpiryReport {
  retired: string[];
  failed: Array<{ addon: string; error: string }>;
}

export async function expirePrevious(
  deps: PreviousDeps & { previous: PreviousStore; logger: Logger },
  pipelines: string[],
  signal: AbortSignal,
): Promise<ExpiryReport> {
  const report: ExpiryReport = { retired: [], failed: [] };
  for (const record of await deps.previous.due(pipelines)) {
    if (signal.aborted) break;
    try {
      await retirePrevious(deps, record, 'expired', signal);
      deps.logger.info('previous database retired: its rollback window ended', {
        pipeline: record.pipeline,
        addon: record.addonName,
        keptUntil: record.keptUntil.toISOString(),
      });
      report.retired.push(record.addonName);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Heroku away, say: the row stays due (or `destroying`) and the next beat tries again.
      deps.logger.warn('previous database not retired yet; the next beat tries again', { addon: record.addonName, error: message });
      report.failed.push({ addon: record.addonName, error: message });
    }
  }
  return report;
}

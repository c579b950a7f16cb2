// Plain-text rendering of status summaries; `--json` prints the summaries themselves.
import type { PipelineSummary, PreviousSummary, RunSummary } from './summary.js';

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatRun(label: string, run: RunSummary): string[] {
  const when = run.finishedAt ? `started ${run.startedAt}, finished ${run.finishedAt}` : `started ${run.startedAt}`;
  const what =
    run.status === 'active'
      ? `in step ${run.state}`
      : run.status === 'failed' && run.failedStep
        ? `failed at ${run.failedStep}`
        : run.status;
  const kind = run.kind === 'rollback' ? ' (rollback)' : '';
  const lines = [`  ${label}: run ${run.runId}${kind} ${what} (${when})`];
  if (run.fork) lines.push(`    fork: ${run.fork}`);
  if (run.waitMessage && run.status === 'active') lines.push(`    wait: ${run.waitMessage}`);
  const attempts = Object.entries(run.attempts).filter(([, n]) => n > 0);
  if (attempts.length) lines.push(`    retries: ${attempts.map(([step, n]) => `${step} ×${n}`).join(', ')}`);
  if (run.retrying) {
    const { step, since, failures, givesUpAt, lastError } = run.retrying;
    const until = givesUpAt ? `gives up at ${givesUpAt}` : 'retries until Heroku answers';
    lines.push(`    retrying: ${step} since ${since} (${failures} failure${failures === 1 ? '' : 's'}; ${until}): ${lastError}`);
  }
  if (run.nextStepAt) lines.push(`    next step due: ${run.nextStepAt}`);
  if (run.leaseOwner) lines.push(`    held by: ${run.leaseOwner} until ${run.leaseExpiresAt ?? '?'}`);
  lines.push(`    steps: ${run.steps.map((s) => `${s.step} ${formatDuration(s.elapsedMs)}`).join(' → ')}`);
  if (run.error && !run.retrying) lines.push(`    error: ${run.error}`);
  if (run.problems.length > 1) lines.push(`    problems (${run.problems.length}):`, ...run.problems.map((problem) => `      - ${problem}`));
  return lines;
}

function formatPrevious(pipeline: string, previous: PreviousSummary): string {
  const where = `${previous.addon} (REFORK_PREVIOUS on ${previous.app})`;
  if (previous.windowOpen)
    return `  previous database: ${where}, kept until ${previous.keptUntil}; \`refork rollback ${pipeline}\` promotes it back`;
  if (previous.state === 'restoring') return `  previous database: ${where}, being rolled back to`;
  return `  previous database: ${where}, window ended ${previous.keptUntil}; destroyed at the next beat`;
}

export function formatStatus(summaries: PipelineSummary[]): string {
  if (summaries.length === 0) return 'no pipelines configured';
  const out: string[] = [];
  for (const summary of summaries) {
    out.push(`${summary.pipeline}:`);
    if (summary.current) out.push(...formatRun('current', summary.current));
    if (summary.last) out.push(...formatRun('last', summary.last));
    if (!summary.current && !summary.last) out.push('  no runs yet');
    if (summary.previous) out.push(formatPrevious(summary.pipeline, summary.previous));
    out.push(`  last successful refresh: ${summary.lastSuccessAt ?? 'never'}`);
    out.push(`  next scheduled refresh: ${summary.nextScheduledAt ?? 'none (no schedule; run it with `refork run`)'}`);
  }
  return out.join('\n');
}

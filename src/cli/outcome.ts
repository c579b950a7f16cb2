// One line per run outcome, and the exit code it deserves.
import type { RunOutcome } from '../runner/run-pipeline.js';

export function describeOutcome(pipeline: string, outcome: RunOutcome): { line: string; exitCode: number } {
  switch (outcome.kind) {
    case 'idle':
      return { line: `${pipeline}: nothing to do`, exitCode: 0 };
    case 'busy':
      return {
        line: `${pipeline}: run ${outcome.runId} is held by ${outcome.owner ?? 'another runner'} until ${outcome.until?.toISOString() ?? 'its lease expires'}; not starting another`,
        exitCode: 0,
      };
    case 'finished':
      if (outcome.status === 'succeeded') return { line: `${pipeline}: run ${outcome.runId} succeeded`, exitCode: 0 };
      if (outcome.status === 'aborted')
        return { line: `${pipeline}: run ${outcome.runId} aborted (fork destroyed, staging untouched)`, exitCode: 0 };
      return { line: `${pipeline}: run ${outcome.runId} failed: ${outcome.error ?? 'unknown error'}`, exitCode: 1 };
    case 'yielded':
      return {
        line: `${pipeline}: run ${outcome.runId} paused in ${outcome.state}${outcome.resumeAt ? ` until ${new Date(outcome.resumeAt).toISOString()}` : ''}; the next tick continues it`,
        exitCode: 0,
      };
    case 'stopped':
      return { line: `${pipeline}: run ${outcome.runId} stopped in ${outcome.state} on shutdown; the next start resumes it`, exitCode: 0 };
    case 'lost':
      return { line: `${pipeline}: run ${outcome.runId} stopped: ${outcome.reason}`, exitCode: 1 };
  }
}

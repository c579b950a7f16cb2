// Human-readable progress for a terminal (and the demo): turns refork's JSON log lines into
// one line per step, wait and masked table.
import { Writable } from 'node:stream';

export function progressStream(write: (line: string) => void, startedAt: number): Writable {
  let buffer = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        render(line);
        newline = buffer.indexOf('\n');
      }
      done();
    },
  });

  function render(line: string) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const at = `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s`;
    if (entry.message === 'transition' && entry.from !== entry.to) write(`${at}  ${String(entry.from)} → ${String(entry.to)}`);
    else if (entry.message === 'transition' && entry.to === 'waiting')
      write(`${at}    still waiting for the fork${entry.waitMessage ? ` (${String(entry.waitMessage)})` : ''}…`);
    else if (entry.message === 'anonymize' && entry.state === 'done')
      write(`${at}    masked ${String(entry.table)} (${String(entry.rows ?? 0)} rows, ${seconds(entry.elapsedMs)})${tally(entry)}`);
    else if (entry.message === 'anonymize' && entry.state === 'started' && Number(entry.estimatedRows) >= 100_000)
      write(`${at}    masking ${String(entry.table)} (~${String(entry.estimatedRows)} rows)…`);
    else if (entry.message === 'run started' || entry.message === 'run resumed')
      write(`${at}  ${String(entry.message)} ${String(entry.runId)}`);
    else if (entry.level === 'warn' || entry.level === 'error')
      write(`${at}  ! ${String(entry.message)}${entry.error ? `: ${String(entry.error)}` : ''}`);
  }
}

function seconds(ms: unknown): string {
  return `${(Number(ms ?? 0) / 1000).toFixed(1)} s`;
}

/** `  [3/7, about 2 min left]` once the engine has a rate to estimate from. */
function tally(entry: Record<string, unknown>): string {
  if (typeof entry.finished !== 'number' || typeof entry.total !== 'number') return '';
  const eta = typeof entry.etaMs === 'number' && entry.finished < entry.total ? `, about ${duration(entry.etaMs)} left` : '';
  return `  [${entry.finished}/${entry.total}${eta}]`;
}

function duration(ms: number): string {
  return ms < 60_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;
}

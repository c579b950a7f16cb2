import { describe, expect, it } from 'vitest';
import { progressStream } from '../../src/log/progress.js';

async function render(entries: unknown[]): Promise<string[]> {
  const lines: string[] = [];
  const stream = progressStream((line) => lines.push(line.replace(/^\s*[\d.]+s/, '')), Date.now());
  await new Promise<void>((resolve) => stream.end(entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n', resolve));
  return lines;
}

describe('terminal progress', () => {
  it('shows transitions, big tables as they start, and each masked table with its count and time left', async () => {
    const lines = await render([
      { message: 'transition', from: 'forking', to: 'waiting' },
      { message: 'transition', from: 'waiting', to: 'waiting', waitMessage: 'preparing' },
      { message: 'transition', from: 'waiting', to: 'anonymizing' },
      { message: 'anonymize', state: 'started', table: 'public.tiny', estimatedRows: 10, finished: 0, total: 2 },
      { message: 'anonymize', state: 'done', table: 'public.tiny', rows: 10, elapsedMs: 40, finished: 1, total: 2, etaMs: 180_000 },
      {
        message: 'anonymize',
        state: 'started',
        table: 'public.customers',
        estimatedRows: 1_000_000,
        finished: 1,
        total: 2,
        etaMs: 180_000,
      },
      {
        message: 'anonymize',
        state: 'done',
        table: 'public.customers',
        rows: 1_000_000,
        elapsedMs: 175_000,
        finished: 2,
        total: 3,
        etaMs: 1_200,
      },
      { message: 'anonymize', state: 'done', table: 'public.notes', rows: 10, elapsedMs: 1, finished: 3, total: 3, etaMs: 0 },
      'not json',
    ]);
    expect(lines).toEqual([
      '  forking → waiting',
      '    still waiting for the fork (preparing)…',
      '  waiting → anonymizing',
      '    masked public.tiny (10 rows, 0.0 s)  [1/2, about 3 min left]',
      '    masking public.customers (~1000000 rows)…',
      '    masked public.customers (1000000 rows, 175.0 s)  [2/3, about 2 s left]',
      '    masked public.notes (10 rows, 0.0 s)  [3/3]',
    ]);
  });
});

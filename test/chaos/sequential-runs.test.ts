// The sweep's "one refresh per schedule" check: a later run is allowed only when a `refork run`
// launched with the first one reached startRun after that run had finished.
import { describe, expect, it } from 'vitest';
import { sequentialRuns, type RunRow } from './execute.js';

const processes = new Map([
  [101, { label: 'launch 0 run #0', command: 'run' }],
  [102, { label: 'launch 0 run #1', command: 'run' }],
  [103, { label: 'launch 1 tick #0', command: 'tick' }],
  [104, { label: 'drain 0', command: 'tick' }],
  [105, { label: 'rollback #0', command: 'rollback' }],
]);

function row(id: string, pid: number, started: number, finished: number | null): RunRow {
  return {
    id,
    status: finished === null ? 'active' : 'succeeded',
    error: null,
    starter: `vm:${pid}:abcd1234`,
    started_event: started,
    finished_event: finished,
  };
}

describe('sequentialRuns', () => {
  it('accepts one run', () => {
    expect(sequentialRuns([row('a', 101, 1, 9)], processes)).toEqual([]);
  });

  it('accepts a second run started by a racing `refork run` after the first finished', () => {
    expect(sequentialRuns([row('a', 102, 1, 9), row('b', 101, 11, 20)], processes)).toEqual([]);
  });

  it('rejects a second run started by a tick or a drain', () => {
    expect(sequentialRuns([row('a', 101, 1, 9), row('b', 103, 11, 20)], processes)).toEqual([
      expect.stringMatching(/started by launch 1 tick #0/),
    ]);
    expect(sequentialRuns([row('a', 101, 1, 9), row('b', 104, 11, 20)], processes)).toEqual([expect.stringMatching(/started by drain 0/)]);
  });

  it('rejects a second run started before the first finished, or by an unknown process', () => {
    expect(sequentialRuns([row('a', 102, 1, 9), row('b', 101, 5, 20)], processes)).toEqual([expect.stringMatching(/still active/)]);
    expect(sequentialRuns([row('a', 102, 1, null), row('b', 101, 5, 20)], processes)).toEqual([expect.stringMatching(/still active/)]);
    expect(sequentialRuns([row('a', 102, 1, 9), row('b', 999, 11, 20)], processes)).toEqual([expect.stringMatching(/started by vm:999/)]);
  });

  it('accepts rollbacks started by `refork rollback` once the refresh had ended, and nothing else', () => {
    const rollback = (id: string, pid: number, started: number, finished: number) => ({
      ...row(id, pid, started, finished),
      kind: 'rollback',
    });
    expect(sequentialRuns([row('a', 101, 1, 9), rollback('b', 105, 11, 20), rollback('c', 105, 21, 30)], processes)).toEqual([]);
    expect(sequentialRuns([row('a', 101, 1, 9), rollback('b', 104, 11, 20)], processes)).toEqual([
      expect.stringMatching(/started by drain 0, not by a `refork rollback`/),
    ]);
    expect(sequentialRuns([row('a', 101, 1, 9), rollback('b', 105, 5, 20)], processes)).toEqual([expect.stringMatching(/still active/)]);
  });
});

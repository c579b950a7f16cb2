import { describe, expect, it } from 'vitest';
import { startedRun, transition, useTestStore } from './fixtures.js';

const t = useTestStore();

// Shaped like a persisted xstate snapshot: nested children, arrays, nulls, numbers, unicode.
const snapshot = {
  status: 'active',
  value: 'waiting',
  historyValue: {},
  context: {
    pipeline: 'staging',
    forkName: 'refork-staging-3f2a',
    forkAddonId: null,
    attempts: { forking: 1, waiting: 17 },
    nextPollAt: '2026-11-25T11:00:00.000Z',
    ratio: 0.1 + 0.2,
    big: 2 ** 53 - 1,
    negative: -42.5,
    flags: [true, false, null, 0, '', []],
    lastWaitMessage: 'Préparation… 数据库 ⏳ 🐘 עברית ﬁ e\u0301',
    quote: 'she said "hi" \\ back\nslash\ttab',
  },
  children: {
    wait: {
      src: 'waitForFork',
      snapshot: { status: 'active', input: { name: 'refork-staging-3f2a', deadline: 1_764_000_000_000 } },
      systemId: undefined,
    },
  },
};

describe('snapshot storage', () => {
  it('returns the snapshot a run started with, deep-equal', async () => {
    const { run } = await startedRun(t.store, { snapshot });
    expect((await t.store.getRun(run.id))?.snapshot).toEqual(JSON.parse(JSON.stringify(snapshot)));
  });

  it('returns the snapshot of the last transition, deep-equal', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'waiting', snapshot }));
    const stored = (await t.store.getRun(run.id))?.snapshot;
    expect(stored).toEqual(JSON.parse(JSON.stringify(snapshot)));
  });

  it('returns event details deep-equal', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.appendEvent(lease, { type: 'effect.finished', from: 'waiting', to: 'waiting', detail: snapshot.context });
    expect((await t.store.runEvents(run.id)).at(-1)?.detail).toEqual(snapshot.context);
  });

  it('stores U+0000 and lone surrogates, which jsonb rejects, as U+FFFD instead of failing', async () => {
    const { run, lease } = await startedRun(t.store);
    const awkward = { message: 'nul\u0000byte', lone: 'half \ud83d pair', key: { 'a\u0000b': 1 }, slash: 'a\\\u0000' };
    expect(await t.store.saveTransition(lease, transition({ snapshot: awkward }))).toBe(true);
    expect((await t.store.getRun(run.id))?.snapshot).toEqual({
      message: 'nul\ufffdbyte',
      lone: 'half \ufffd pair',
      key: { 'a\ufffdb': 1 },
      slash: 'a\\\ufffd',
    });
  });

  it('keeps text that merely looks like an escape exactly', async () => {
    const { run, lease } = await startedRun(t.store);
    const literal = { path: 'C:\\u0000\\ud800', doubled: '\\\u00e9' };
    await t.store.saveTransition(lease, transition({ snapshot: literal }));
    expect((await t.store.getRun(run.id))?.snapshot).toEqual(literal);
  });
});

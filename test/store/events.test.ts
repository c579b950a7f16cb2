import { describe, expect, it } from 'vitest';
import { startedRun, transition, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('run events', () => {
  it('keeps sequence numbers contiguous when the holder writes many events at once', async () => {
    const { run, lease } = await startedRun(t.store);
    const writes = Array.from({ length: 30 }, (_, i) =>
      i % 5 === 0
        ? t.store.saveTransition(lease, transition({ state: `state-${i}`, event: { type: 'tick', from: null, to: `state-${i}` } }))
        : t.store.appendEvent(lease, { type: 'effect.progress', from: null, to: null, detail: { i } }),
    );
    expect(await Promise.all(writes)).toEqual(writes.map(() => true));
    const seqs = (await t.store.runEvents(run.id)).map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
  });

  it('keeps sequence numbers contiguous when an abort request races the holder', async () => {
    const { run, lease } = await startedRun(t.store);
    const writes = [
      ...Array.from({ length: 10 }, (_, i) => t.store.appendEvent(lease, { type: 'effect.progress', from: null, to: null, detail: { i } })),
      t.store.requestAbort(run.pipeline),
    ];
    await Promise.all(writes);
    const seqs = (await t.store.runEvents(run.id)).map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('returns events in sequence order with their from, to, type and detail', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.appendEvent(lease, {
      type: 'effect.started',
      from: 'forking',
      to: 'forking',
      detail: { effect: 'createFork', name: 'refork-x' },
    });
    const events = await t.store.runEvents(run.id);
    expect(events.map(({ seq, type }) => [seq, type])).toEqual([
      [1, 'run.started'],
      [2, 'effect.started'],
    ]);
    expect(events[1]).toMatchObject({ runId: run.id, from: 'forking', to: 'forking', detail: { effect: 'createFork', name: 'refork-x' } });
    expect(events[1]?.at).toBeInstanceOf(Date);
  });

  it('lets the holder append events after the run finished', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'succeeded', status: 'succeeded' }));
    expect(await t.store.appendEvent(lease, { type: 'effect.finished', from: null, to: null, detail: {} })).toBe(true);
    expect((await t.store.runEvents(run.id)).map((event) => event.type)).toEqual([
      'run.started',
      'xstate.done.actor.preflight',
      'effect.finished',
    ]);
  });

  it('logs lease.released when the holder gives the lease up', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.releaseLease(lease);
    expect((await t.store.runEvents(run.id)).at(-1)).toMatchObject({
      seq: 2,
      type: 'lease.released',
      detail: { owner: lease.owner, token: 1 },
    });
  });

  it('deletes a run’s events with the run', async () => {
    const { run } = await startedRun(t.store);
    await t.knex.raw('DELETE FROM refork_runs WHERE id = ?', [run.id]);
    expect(await t.store.runEvents(run.id)).toEqual([]);
  });
});

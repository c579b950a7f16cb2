import { describe, expect, it } from 'vitest';
import { startedRun, transition, useTestStore } from './fixtures.js';

const t = useTestStore();

describe('saveTransition', () => {
  it('writes state, status and snapshot and appends the event with the next sequence number', async () => {
    const { run, lease } = await startedRun(t.store);
    const next = transition({
      state: 'forking',
      snapshot: { status: 'active', value: 'forking', context: { forkName: 'refork-demo-abc' } },
      event: { type: 'xstate.done.actor.preflight', from: 'preflight', to: 'forking', detail: { oldAddonId: 'a1' } },
    });
    expect(await t.store.saveTransition(lease, next)).toBe(true);
    const saved = await t.store.getRun(run.id);
    expect(saved).toMatchObject({ state: 'forking', status: 'active', snapshot: next.snapshot, finishedAt: null });
    // Compared in SQL: microseconds apart would look equal as JavaScript Dates.
    const moved = await t.knex.raw<{ rows: { moved: boolean }[] }>(
      'SELECT updated_at > created_at AS moved FROM refork_runs WHERE id = ?',
      [run.id],
    );
    expect(moved.rows).toEqual([{ moved: true }]);
    expect((await t.store.runEvents(run.id)).at(-1)).toMatchObject({
      seq: 2,
      type: 'xstate.done.actor.preflight',
      from: 'preflight',
      to: 'forking',
      detail: { oldAddonId: 'a1' },
    });
  });

  it('stamps finished_at when the run leaves active', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'failed', status: 'failed', error: 'forking: quota exceeded' }));
    const saved = await t.store.getRun(run.id);
    expect(saved).toMatchObject({ status: 'failed', error: 'forking: quota exceeded' });
    expect(saved?.finishedAt).toBeInstanceOf(Date);
  });

  it('keeps the previous error when the transition does not mention one', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'waiting', error: 'waiting: 503 from the Postgres API, retrying' }));
    await t.store.saveTransition(lease, transition({ state: 'waiting' }));
    expect((await t.store.getRun(run.id))?.error).toBe('waiting: 503 from the Postgres API, retrying');
  });

  it('clears the error when the transition sets it to null', async () => {
    const { run, lease } = await startedRun(t.store);
    await t.store.saveTransition(lease, transition({ state: 'waiting', error: 'waiting: 503' }));
    await t.store.saveTransition(lease, transition({ state: 'anonymizing', error: null }));
    expect((await t.store.getRun(run.id))?.error).toBeNull();
  });

  it('writes nothing when the event row cannot be stored', async () => {
    const { run, lease } = await startedRun(t.store);
    // A fault injected into the event insert, which runs after the run row was updated.
    await t.knex.raw(`
      CREATE OR REPLACE FUNCTION fail_test_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'test.unstorable' THEN RAISE EXCEPTION 'injected event failure'; END IF;
        RETURN NEW;
      END $$`);
    await t.knex.raw(`
      CREATE OR REPLACE TRIGGER fail_test_event BEFORE INSERT ON refork_run_events
      FOR EACH ROW EXECUTE FUNCTION fail_test_event()`);
    const broken = transition({ event: { type: 'test.unstorable', from: 'preflight', to: 'forking' } });
    await expect(t.store.saveTransition(lease, broken)).rejects.toThrow(/injected event failure/);
    expect(await t.store.getRun(run.id)).toEqual(run);
    expect(await t.store.runEvents(run.id)).toHaveLength(1);
  });

  it("stores a step's facts with its transition, a later try replacing them, and none for a stale lease", async () => {
    const { run, lease } = await startedRun(t.store, { trigger: { kind: 'command', command: 'refork run', user: 'ops' } });
    expect((await t.store.runEvents(run.id))[0]?.detail).toMatchObject({
      trigger: { kind: 'command', command: 'refork run', user: 'ops' },
    });
    const tables = Array.from({ length: 300 }, (_, i) => ({ table: `public.t${i}`, rows: i }));
    const facts = (rows: number) => ({ anonymize: { rulesDigest: 'sha256:ab', tables: tables.map((table) => ({ ...table, rows })) } });
    await t.store.saveTransition(lease, transition({ state: 'verifying', facts: facts(1) }));
    await t.store.saveTransition(lease, transition({ state: 'verifying', facts: facts(2) }));
    expect(await t.store.runFacts(run.id)).toEqual(facts(2));
    // The event log does not carry them.
    expect(JSON.stringify(await t.store.runEvents(run.id))).not.toContain('public.t299');

    const stale = { ...lease, token: lease.token - 1 };
    expect(await t.store.saveTransition(stale, transition({ state: 'promoting', facts: { verify: { gates: [] } } }))).toBe(false);
    expect(Object.keys(await t.store.runFacts(run.id))).toEqual(['anonymize']);
  });
});

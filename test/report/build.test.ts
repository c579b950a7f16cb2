// The record's parts that a happy refresh does not reach: a failed verification, a fork destroyed
// by compensation, a plan without a price, a state and a kind of fact the report was not written
// for (a new step's), and the price list's proration.
import { describe, expect, it } from 'vitest';
import { buildReport, priceList, renderReport } from '../../src/report/index.js';
import { proratedUsd } from '../../src/report/prices.js';
import type { RunEvent, RunRecord } from '../../src/store/types.js';

const RUN_ID = '11111111-2222-4333-8444-555555555555';
const start = Date.parse('2026-11-30T03:00:00Z');
const at = (minutes: number) => new Date(start + minutes * 60_000);

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: RUN_ID,
    pipeline: 'staging',
    kind: 'refresh',
    status: 'failed',
    state: 'failed',
    snapshot: {
      context: {
        sourceApp: 'acme-prod',
        sourceDatabase: 'DATABASE',
        targetApp: 'acme-staging',
        forkApp: 'acme-refork',
        forkName: 'refork-staging-111111112222',
        plan: 'heroku-postgresql:standard-2',
        fast: false,
        source: { name: 'postgresql-prod-1' },
        oldDatabase: { name: 'postgresql-old-1' },
        fork: { id: 'f1', name: 'refork-staging-111111112222' },
        attempts: { verifying: 1, scrubbing: 2 },
        error: {
          step: 'verifying',
          problems: ['pii-scan: public.notes.body holds 3 values that look like emails', 'formats: public.users.email'],
        },
      },
    },
    machineVersion: 3,
    leaseOwner: null,
    leaseToken: 4,
    leaseExpiresAt: null,
    abortRequestedAt: null,
    notBefore: null,
    error: 'verifying: verification failed: pii-scan: public.notes.body holds 3 values that look like emails (2 problems in all)',
    createdAt: at(0),
    updatedAt: at(100),
    finishedAt: at(100),
    ...overrides,
  };
}

let seq = 0;
function event(minutes: number, type: string, from: string | null, to: string | null, detail: Record<string, unknown> = {}): RunEvent {
  return { runId: RUN_ID, seq: ++seq, from, to, type, detail, at: at(minutes) };
}

// A run with a step this report knows nothing of (`scrubbing`, between masking and verifying).
const events: RunEvent[] = [
  event(0, 'run.started', null, 'preflight', {
    owner: 'worker.1:42:abcd',
    trigger: { kind: 'schedule', cron: '0 3 * * *', timezone: 'UTC', by: 'worker' },
  }),
  event(1, 'xstate.done.actor.preflight', 'preflight', 'forking', { output: { sourcePlan: 'heroku-postgresql:standard-2' } }),
  event(2, 'xstate.done.actor.createFork', 'forking', 'waiting'),
  event(3, 'lease.acquired', 'waiting', 'waiting', { owner: 'worker.2:7:ef01', token: 2 }),
  event(60, 'xstate.done.actor.waitForFork', 'waiting', 'anonymizing'),
  event(70, 'xstate.done.actor.anonymize', 'anonymizing', 'scrubbing'),
  event(75, 'xstate.done.actor.scrub', 'scrubbing', 'verifying'),
  event(80, 'xstate.error.actor.verify', 'verifying', 'compensating'),
  event(98, 'xstate.done.actor.compensate', 'compensating', 'failed', { output: { promoted: false, destroyed: true } }),
];

describe('the record of a refresh', () => {
  it('of a failed one: the problems, no checks passed, the fork billed until compensation destroyed it, every step timed', () => {
    const facts = {
      anonymize: {
        rulesDigest: 'sha256:00',
        tables: [{ table: 'public.users', rule: 'columns', rows: 10, method: 'update', columns: [] }],
      },
      scrub: { statements: 2, ruleDigest: 'sha256:ff' },
    };
    const report = buildReport(run(), events, facts, { now: at(200), prices: priceList() });
    expect(report.steps.map((step) => step.step)).toEqual([
      'preflight',
      'forking',
      'waiting',
      'anonymizing',
      'scrubbing',
      'verifying',
      'compensating',
      'failed',
    ]);
    expect(report.steps.find((step) => step.step === 'scrubbing')?.elapsedMs).toBe(5 * 60_000);
    expect(report.processes).toEqual(['worker.1:42:abcd', 'worker.2:7:ef01']);
    expect(report.addons).toEqual([
      expect.objectContaining({ role: 'fork', seconds: 96 * 60, monthlyUsd: 200, costUsd: proratedUsd(200, 96 * 60) }),
    ]);
    expect(report.costUsd).toBeCloseTo((200 * 96 * 60) / (30 * 86_400), 9);

    const markdown = renderReport(report, 'markdown');
    expect(markdown).toContain("the pipeline's schedule `0 3 * * *` (UTC), started by `refork worker`");
    expect(markdown).toContain('Verification did not pass in this refresh: the copy was never attached to the target.');
    expect(markdown).toContain('- pii-scan: public.notes.body holds 3 values that look like emails');
    expect(markdown).toContain('| scrubbing | 2026-11-30T04:10:00.000Z | 5m00s | 2 |');
    expect(markdown).toMatch(/## Failure\n\nverifying: verification failed/);
    // A kind of fact without a section of its own is still shown.
    expect(markdown).toMatch(/## Other facts\n\n### scrub\n\n```json\n\{\n {2}"statements": 2/);
    expect(renderReport(report, 'text')).toContain('scrub: {"statements":2,"ruleDigest":"sha256:ff"}');
  });

  it('of one still running, on a plan with no known price: counted until now, cost unknown unless configured', () => {
    const active = run({
      status: 'active',
      state: 'waiting',
      finishedAt: null,
      error: null,
      snapshot: { context: { plan: 'heroku-postgresql:private-9', forkName: 'f' } },
    });
    const report = buildReport(active, events.slice(0, 4), {}, { now: at(30), prices: priceList() });
    expect(report.addons).toEqual([
      expect.objectContaining({ to: null, seconds: 28 * 60, monthlyUsd: null, priceSource: 'unknown', costUsd: null }),
    ]);
    expect(report.costUsd).toBeNull();
    expect(renderReport(report, 'markdown')).toContain('Masking did not run in this refresh');
    const priced = buildReport(active, events.slice(0, 4), {}, { now: at(30), prices: priceList({ 'heroku-postgresql:private-9': 3000 }) });
    expect(priced.addons[0]).toMatchObject({ monthlyUsd: 3000, priceSource: 'config' });
  });

  it('prorates to the second and never past the monthly price', () => {
    expect(proratedUsd(720, 3600)).toBeCloseTo(1, 12);
    expect(proratedUsd(50, 90 * 86_400)).toBe(50);
    expect(priceList().monthly('standard-0')).toBe(50);
  });
});

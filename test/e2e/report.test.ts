// `refork report` and `history`'s cost, end to end: a scheduled refresh (tick) and one started by
// hand, like the demo's, each read back from the control database and compared with what the
// database and the fork really hold (no figure in here is written by hand).
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery } from '../support/databases.js';
import { RULES } from '../support/pipeline.js';
import { createWorld, readControl, type World } from '../support/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A price that makes a dollar an hour (prorated over a 30-day month): cost and hours read alike. */
const DOLLAR_AN_HOUR = 720;

interface ReportJson {
  runId: string;
  status: string;
  trigger: { kind: string; command?: string; by?: string; cron?: string } | null;
  startedBy: string | null;
  steps: Array<{ step: string }>;
  addons: Array<{ role: string; name: string; seconds: number; costUsd: number | null; monthlyUsd: number | null; priceSource: string }>;
  costUsd: number | null;
  facts: {
    anonymize: {
      rulesDigest: string;
      tables: Array<{ table: string; rule: string; rows: number | null; method?: string; columns?: unknown[] }>;
    };
    verify: { gates: Array<{ name: string; ok: boolean }> };
  };
}

/** The body of a `## title` section of the Markdown, up to the next one. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  expect(start, `section "${title}"`).toBeGreaterThan(-1);
  const next = markdown.indexOf('\n## ', start + 4);
  return markdown.slice(start, next === -1 ? undefined : next);
}

describe('refork report', () => {
  it(
    'records who started each refresh, what was done to each column, what was checked, time per step and cost',
    { timeout: 180_000 },
    async () => {
      world = await createWorld({
        pipeline: { schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
        config: { prices: { 'heroku-postgresql:standard-0': DOLLAR_AN_HOUR } },
      });
      const w = world;
      // The schedule's run (a tick), then one by hand (as the demo starts it).
      expect((await w.cli(['tick'])).stdout).toMatch(/succeeded/);
      expect((await w.cli(['run', 'staging'])).stdout).toMatch(/succeeded/);
      const runs = await readControl<{ id: string; created_at: Date; finished_at: Date }>(
        w,
        'SELECT id, created_at, finished_at FROM refork_runs ORDER BY created_at',
      );
      expect(runs).toHaveLength(2);
      const [scheduled, byHand] = runs.map((run) => run.id);

      const tickReport = JSON.parse((await w.cli(['report', scheduled ?? '', '--json'])).stdout) as ReportJson;
      expect(tickReport.trigger).toMatchObject({ kind: 'schedule', cron: '0 3 * * *', by: 'tick' });

      // A pipeline name means its newest run.
      const json = await w.cli(['report', 'staging', '--json']);
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout) as ReportJson;
      expect(report.runId).toBe(byHand);
      expect(report.trigger).toMatchObject({ kind: 'command', command: 'refork run' });

      // Time per step: the states the run went through, in the order its events record them.
      const moves = await readControl<{ from_state: string; to_state: string }>(
        w,
        `SELECT from_state, to_state FROM refork_run_events WHERE run_id = $1 AND from_state IS NOT NULL AND from_state <> to_state ORDER BY seq`,
        [byHand],
      );
      expect(report.steps.map((s) => s.step)).toEqual([moves[0]?.from_state, ...moves.map((m) => m.to_state)]);

      // Rows per table: what the promoted fork (now staging's DATABASE) holds, and its own ledger.
      const staging = w.sim.attachments('acme-staging').find((a) => a.name === 'DATABASE' && !a.namespace);
      const stagingUrl = w.sim.databaseUrl(staging?.addon.id ?? '');
      const ledger = await adminQuery(stagingUrl, 'SELECT table_name, rows::int AS rows FROM refork.anonymized WHERE run_id = $1', [
        byHand,
      ]);
      const tables = new Map(report.facts.anonymize.tables.map((t) => [t.table, t]));
      expect(ledger.rows.length).toBeGreaterThan(0);
      for (const row of ledger.rows as Array<{ table_name: string; rows: number }>) expect(tables.get(row.table_name)?.rows).toBe(row.rows);
      const customers = await adminQuery(stagingUrl, 'SELECT count(*)::int AS n FROM customers');
      expect(tables.get('public.customers')).toMatchObject({ rule: 'columns', rows: customers.rows[0]?.n });
      expect(tables.get('public.sessions')).toMatchObject({ rule: 'truncate', method: 'truncate' });

      // What was stored is what the report shows.
      const [stored] = await readControl<{ facts: { rulesDigest: string } }>(
        w,
        `SELECT facts FROM refork_run_facts WHERE run_id = $1 AND kind = 'anonymize'`,
        [byHand],
      );
      expect(report.facts.anonymize.rulesDigest).toBe(stored?.facts.rulesDigest);
      expect(report.facts.anonymize.rulesDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // The same rules, the same digest, run after run.
      expect(tickReport.facts.anonymize.rulesDigest).toBe(report.facts.anonymize.rulesDigest);

      // Cost: the fork from its creation until it was promoted, then the old database until destroyed.
      const at = async (type: string) =>
        (
          await readControl<{ at: Date }>(w, 'SELECT at FROM refork_run_events WHERE run_id = $1 AND type = $2 ORDER BY seq LIMIT 1', [
            byHand,
            type,
          ])
        )[0]?.at.getTime() ?? Number.NaN;
      const created = await at('xstate.done.actor.createFork');
      const promoted = await at('xstate.done.actor.promote');
      const cleaned = await at('xstate.done.actor.cleanup');
      expect(report.addons.map((a) => a.role)).toEqual(['fork', 'old database']);
      expect(report.addons[0]?.seconds).toBeCloseTo((promoted - created) / 1000, 3);
      expect(report.addons[1]?.seconds).toBeCloseTo((cleaned - promoted) / 1000, 3);
      for (const addon of report.addons) {
        expect(addon).toMatchObject({ monthlyUsd: DOLLAR_AN_HOUR, priceSource: 'config' });
        expect(addon.costUsd).toBeCloseTo(addon.seconds / 3600, 9);
      }
      expect(report.costUsd).toBeCloseTo((cleaned - created) / 1000 / 3600, 6);

      // The Markdown an auditor reads.
      const md = await w.cli(['report', byHand ?? '', '--markdown']);
      expect(md.code, md.stderr).toBe(0);
      const markdown = md.stdout;
      expect(markdown).toContain(`# Refresh record: pipeline \`staging\`, run \`${byHand}\``);
      const summary = section(markdown, 'Summary');
      expect(summary).toContain('**Outcome:** succeeded');
      expect(summary).toContain('the command `refork run`');
      expect(summary).toContain(`**Started:** ${runs[1]?.created_at.toISOString()}`);
      expect(summary).toContain(`**Finished:** ${runs[1]?.finished_at.toISOString()}`);

      const flow = section(markdown, 'Data: from where to where');
      expect(flow).toContain(`app \`acme-prod\`, database \`DATABASE\` (add-on \`${w.prodAddon}\`, heroku-postgresql:standard-0)`);
      expect(flow).toContain(`\`${staging?.addon.name ?? ''}\``);
      expect(flow).toContain(`its previous database \`${tickReport.addons[0]?.name ?? ''}\` was destroyed`);

      const masking = section(markdown, 'What was done to personal data');
      expect(masking).toContain(report.facts.anonymize.rulesDigest);
      // Every column rule of the pipeline, with its rule's YAML key.
      for (const [table, rule] of Object.entries(RULES.tables)) {
        if (typeof rule === 'string') {
          expect(masking).toMatch(
            new RegExp(`\\| \`public\\.${table}\` \\| ${rule === 'truncate' ? 'emptied \\(truncated\\)' : 'kept as is'} \\|`),
          );
          continue;
        }
        for (const column of Object.keys(rule.columns)) expect(masking).toContain(`| \`public.${table}\` | \`${column}\` |`);
        for (const column of Object.keys(rule.columns))
          expect(masking).toContain(`\`pipelines.staging.anonymize.tables.${table}.columns.${column}\``);
      }
      expect(masking).toMatch(/\| `public\.customers` \| `email` \| replaced by a keyed pseudonymous address @example\.test \|/);
      expect(masking).toContain(
        `| \`public.customers\` | columns masked | ${tables.get('public.customers')?.method ?? ''} | ${customers.rows[0]?.n} |`,
      );

      const checks = section(markdown, 'Checks before staging could see the data');
      expect(report.facts.verify.gates.length).toBeGreaterThan(5);
      for (const gate of report.facts.verify.gates) {
        expect(gate.ok).toBe(true);
        expect(checks).toMatch(new RegExp(`\\| \`${gate.name}\` \\| [^|]+ \\| passed \\|`));
      }

      const timeline = section(markdown, 'Time per step');
      for (const step of report.steps.slice(0, -1)) expect(timeline).toContain(`| ${step.step} |`);
      expect(report.steps.at(-1)?.step).toBe('succeeded');

      const cost = section(markdown, 'Add-on time and estimated cost');
      expect(cost).toContain(`| fork | \`${staging?.addon.name ?? ''}\` | heroku-postgresql:standard-0 |`);
      expect(cost).toContain(`$${DOLLAR_AN_HOUR} (config)`);

      // history: duration and the same cost per run.
      const history = JSON.parse((await w.cli(['history', '--json'])).stdout) as Array<{ runId: string; costUsd: number | null }>;
      expect(history.map((h) => h.runId)).toEqual([byHand, scheduled]);
      expect(history[0]?.costUsd).toBeCloseTo(report.costUsd ?? Number.NaN, 9);
      expect(history[1]?.costUsd).toBeCloseTo(tickReport.costUsd ?? Number.NaN, 9);
      const text = await w.cli(['history']);
      expect(text.stdout.split('\n')[0]).toMatch(/succeeded +\S+ +\$\d+\.\d{4}/);

      // Bad input: one line naming the fix.
      const unknown = await w.cli(['report', 'nosuchpipeline']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim()).toMatch(
        /^refork: "nosuchpipeline" is neither a run id nor a pipeline with runs: take a run id from `refork history`$/,
      );
    },
  );
});

// `refork report` as plain text or Markdown: a list of sections, each a small renderer of one
// kind of fact. A new step that stores facts of a new kind gets a section by adding a renderer to
// SECTIONS; until then its facts are still shown, as JSON, under "Other facts".
import { formatDuration } from '../status/format.js';
import { anonymizeFactsOf, verifyFactsOf, type RunReport } from './build.js';
import { BILLING_MONTH_SECONDS } from './prices.js';

export type Format = 'text' | 'markdown';

export interface Section {
  title: string;
  /** The fact kinds (refork_run_facts.kind) this section shows; they are left out of "Other facts". */
  kinds?: string[];
  /** Lines of the section's body, or null to leave the section out. */
  render(report: RunReport, format: Format): string[] | null;
}

/** Markdown table or aligned text columns. */
export function table(format: Format, header: string[], rows: string[][]): string[] {
  if (format === 'markdown') {
    const cell = (value: string) => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    return [
      `| ${header.map(cell).join(' | ')} |`,
      `|${header.map(() => ' --- ').join('|')}|`,
      ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    ];
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `  ${row.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function code(format: Format, value: string): string {
  return format === 'markdown' ? `\`${value.replace(/`/g, "'")}\`` : value;
}

function bullet(format: Format, label: string, value: string): string {
  return format === 'markdown' ? `- **${label}:** ${value}` : `  ${label}: ${value}`;
}

export function usd(value: number | null): string {
  if (value === null) return 'unknown';
  return value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function hours(seconds: number): string {
  return (seconds / 3600).toFixed(4);
}

function triggerText(report: RunReport, format: Format): string {
  const trigger = report.trigger;
  if (!trigger) return 'not recorded (a run started before refork kept it)';
  const who = trigger.user ? ` by OS user ${code(format, trigger.user)}` : '';
  if (trigger.kind === 'schedule')
    return `the pipeline's schedule ${code(format, trigger.cron)} (${trigger.timezone}), started by ${code(format, `refork ${trigger.by}`)}${who}`;
  return `the command ${code(format, trigger.command)}${who}`;
}

const GATE_WHAT: Record<string, string> = {
  rules: 'every rule matches a table and column of the fork',
  coverage: 'every column of every table is classified by a rule (none left unreviewed)',
  ledger: 'every planned table and materialized view was masked by this very run',
  residual: 'in each masked table, sampled original values are gone from every column that must change',
  indexes: 'every index is valid again (unique constraints enforced)',
  formats: "sampled masked values look like their strategy's output (e.g. addresses @example.test)",
  statistics: 'planner statistics (pg_stats) hold no original values',
  'pii-scan': 'sampled values of every text-like column, kept ones included, show no real-looking email, phone, card or similar',
};

const summary: Section = {
  title: 'Summary',
  render(report, format) {
    const outcome = report.status === 'active' ? `in progress (step ${report.state})` : report.status;
    const lines = [
      bullet(format, 'Pipeline', code(format, report.pipeline)),
      bullet(format, 'Run', code(format, report.runId)),
      bullet(format, 'Outcome', outcome),
      bullet(format, 'Started', report.startedAt),
      bullet(format, 'Finished', report.finishedAt ?? 'not yet'),
      bullet(format, 'Duration', formatDuration(report.durationMs)),
      bullet(format, 'Started by', triggerText(report, format)),
      bullet(format, 'Process that started it', report.startedBy ? code(format, report.startedBy) : 'not recorded'),
    ];
    const others = report.processes.filter((owner) => owner !== report.startedBy);
    if (others.length) lines.push(bullet(format, 'Other processes that worked on it', others.map((o) => code(format, o)).join(', ')));
    if (report.costUsd !== null || report.addons.length)
      lines.push(bullet(format, 'Estimated add-on cost', `${usd(report.costUsd)} (see "Add-on time and estimated cost")`));
    return lines;
  },
};

const dataFlow: Section = {
  title: 'Data: from where to where',
  render(report, format) {
    const { source, fork, target } = report;
    const sourceDb = `${code(format, source.attachment)}${source.addon ? ` (add-on ${code(format, source.addon)}${source.plan ? `, ${source.plan}` : ''})` : ''}`;
    const onTarget = fork.app === target.app;
    const old =
      target.oldDatabase === null
        ? 'the app had no database before'
        : `its previous database ${code(format, target.oldDatabase)} was ${target.oldDatabaseOutcome ?? 'not yet dealt with'}`;
    return [
      bullet(format, 'Source (production)', `app ${code(format, source.app)}, database ${sourceDb}`),
      bullet(
        format,
        'Copy',
        `a Heroku fork ${code(format, fork.name)} (${fork.plan}${fork.fast ? ', fast fork: up to 30 hours old' : ''}) created on app ${code(format, fork.app)}${onTarget ? ' (the target itself)' : ' (a private fork app)'}, masked and checked there before the target could use it`,
      ),
      bullet(format, 'Destination (staging)', `app ${code(format, target.app)}; ${old}`),
    ];
  },
};

const masking: Section = {
  title: 'What was done to personal data',
  kinds: ['anonymize'],
  render(report, format) {
    const facts = anonymizeFactsOf(report);
    if (!facts) return ['Masking did not run in this refresh: no copy of production reached staging.'];
    const columns = facts.tables.flatMap((t) =>
      (t.columns ?? []).map((c) => [code(format, t.table), code(format, c.column), c.how, code(format, c.ruleKey)]),
    );
    const tables = facts.tables.map((t) => [
      code(format, t.table),
      t.rule === 'columns'
        ? 'columns masked'
        : t.rule === 'truncate'
          ? 'emptied (truncated)'
          : t.rule === 'safe'
            ? 'kept as is'
            : 'no rule of its own',
      t.method ?? '-',
      // TRUNCATE reports no count: the planner's estimate of the rows removed.
      t.rows === null ? '-' : t.rule === 'truncate' ? `~${t.rows}` : String(t.rows),
    ]);
    const masked = facts.tables.filter((t) => t.rule === 'columns').reduce((sum, t) => sum + (t.rows ?? 0), 0);
    return [
      bullet(
        format,
        'Rules digest',
        `${code(format, facts.rulesDigest)} (sha256 of the rules as applied; the same rules give the same digest)`,
      ),
      bullet(format, 'Rows masked', `${masked} in ${plural(facts.tables.filter((t) => t.rule === 'columns').length, 'table')}`),
      '',
      format === 'markdown' ? '### Each column, its treatment and the rule that set it' : 'Columns:',
      '',
      ...table(format, ['Table', 'Column', 'Treatment', 'Rule'], columns),
      '',
      format === 'markdown' ? '### Each table: rule, method, rows' : 'Tables:',
      '',
      ...table(format, ['Table', 'Rule', 'Method', 'Rows'], tables),
      '',
      'Keyed treatments use HMAC-SHA-256 with a key kept outside the data and never stored in a database: the same input gives the same pseudonym in every refresh, and a pseudonym cannot be turned back into its original without the key.',
    ];
  },
};

const checks: Section = {
  title: 'Checks before staging could see the data',
  kinds: ['verify'],
  render(report, format) {
    const facts = verifyFactsOf(report);
    const lines: string[] = [];
    if (facts) {
      const rows = facts.gates.map((gate) => [
        code(format, gate.name),
        GATE_WHAT[gate.name] ?? '-',
        gate.error
          ? `could not run: ${gate.error}`
          : gate.ok
            ? 'passed'
            : `FAILED (${gate.problems} problem${gate.problems === 1 ? '' : 's'})`,
      ]);
      const passed = facts.gates.every((gate) => gate.ok);
      lines.push(
        `${plural(facts.gates.length, 'check')} ran on the masked copy, read-only, before it was attached to the target; ${passed ? 'all passed' : 'not all passed, so it was never attached'}.`,
        '',
        ...table(format, ['Check', 'What it verifies', 'Result'], rows),
      );
    } else {
      lines.push('Verification did not pass in this refresh: the copy was never attached to the target.');
    }
    if (report.problems.length) {
      lines.push('', `Problems found (${report.problems.length}):`, '', ...report.problems.map((problem) => `- ${problem}`));
    }
    return lines;
  },
};

const timeline: Section = {
  title: 'Time per step',
  render(report, format) {
    // A finished run's last state (succeeded, failed, aborted) is where it ended, not a step that took time.
    const steps = report.finishedAt === null ? report.steps : report.steps.slice(0, -1);
    const rows = steps.map((step) => [
      step.step,
      step.enteredAt,
      formatDuration(step.elapsedMs),
      report.retries[step.step] ? String(report.retries[step.step]) : '',
    ]);
    return table(format, ['Step', 'Entered', 'Took', 'Failed tries'], rows);
  },
};

const cost: Section = {
  title: 'Add-on time and estimated cost',
  render(report, format) {
    if (report.addons.length === 0) return ['No add-on was created.'];
    const rows = report.addons.map((addon) => [
      addon.role,
      code(format, addon.name),
      `${addon.plan}${addon.planAssumed ? ' (assumed)' : ''}`,
      addon.from,
      addon.to ?? 'still billed',
      formatDuration(addon.seconds * 1000),
      hours(addon.seconds),
      addon.monthlyUsd === null ? 'unknown' : `$${addon.monthlyUsd}${addon.priceSource === 'config' ? ' (config)' : ''}`,
      usd(addon.costUsd),
    ]);
    return [
      ...table(format, ['Role', 'Add-on', 'Plan', 'From', 'To', 'Time', 'Hours', 'Monthly', 'Estimated'], rows),
      '',
      `Total: ${usd(report.costUsd)}. Estimated from list prices (override with \`prices:\` in refork.yml), prorated to the second over a ${BILLING_MONTH_SECONDS / 86_400}-day month and capped at the monthly price; the old database's plan is assumed to be the pipeline's. Heroku's invoice is authoritative.`,
    ];
  },
};

const failure: Section = {
  title: 'Failure',
  render(report) {
    if (!report.error) return null;
    return [report.error];
  },
};

/** In order. Add a section here for a new kind of fact. */
export const SECTIONS: Section[] = [summary, dataFlow, masking, checks, timeline, cost, failure];

const otherFacts: Section = {
  title: 'Other facts',
  render(report, format) {
    const shown = new Set(SECTIONS.flatMap((section) => section.kinds ?? []));
    const rest = Object.entries(report.facts).filter(([kind]) => !shown.has(kind));
    if (rest.length === 0) return null;
    return rest.flatMap(([kind, facts]) =>
      format === 'markdown'
        ? [`### ${kind}`, '', '```json', JSON.stringify(facts, null, 2), '```', '']
        : [`${kind}: ${JSON.stringify(facts)}`],
    );
  },
};

export function renderReport(report: RunReport, format: Format, sections: Section[] = SECTIONS): string {
  const title =
    format === 'markdown'
      ? `# Refresh record: pipeline \`${report.pipeline}\`, run \`${report.runId}\``
      : `refresh record: pipeline ${report.pipeline}, run ${report.runId}`;
  const out = [
    title,
    '',
    'This record holds no personal data and no secret: names of tables, columns and rules, counts, times and processes.',
    '',
  ];
  for (const section of [...sections, otherFacts]) {
    const body = section.render(report, format);
    if (body === null) continue;
    out.push(format === 'markdown' ? `## ${section.title}` : `${section.title}:`, '', ...body, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

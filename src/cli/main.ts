// refork's command line: parse, call one function, print. Every failure is one line on
// stderr (redacted), with exit code 2 for bad configuration and 1 for anything else.
// Commands load lazily: a scheduler's `tick` should not pay for the simulator's modules.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { redact } from '../log/redact.js';
import { reforkVersion } from '../version.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function isConfigMistake(error: unknown): boolean {
  return error instanceof ConfigError || (error instanceof Error && error.name === 'RulesError');
}

const program = new Command()
  .name('refork')
  .description('Keeps a Heroku staging database a fresh, anonymized fork of production.')
  .version(reforkVersion)
  .showHelpAfterError(false);

let exitCode = 0;
const set = (code: number) => {
  exitCode = code;
};

program
  .command('run <pipeline>')
  .description('start a refresh now, or resume the interrupted one')
  .option('--budget-minutes <n>', 'stop starting new steps after this long (the run continues at the next start)', positiveNumber)
  .action(async (pipeline: string, options: { budgetMinutes?: number }) =>
    set(await (await import('./commands/run.js')).runCommand(pipeline, options)),
  );

const heavyOption = ['--heavy <n>', 'anonymizing/verifying steps side by side in this process (default 2)', wholeNumber] as const;

program
  .command('tick')
  .description('for a scheduler: start runs that are due, work every due run within the budget, then exit')
  .option('--budget-minutes <n>', 'time this invocation may spend', positiveNumber, 8)
  .option(...heavyOption)
  .action(async (options: { budgetMinutes: number; heavy?: number }) =>
    set(await (await import('./commands/tick.js')).tickCommand(options)),
  );

program
  .command('worker')
  .description('long-lived: serve every due run of every pipeline until SIGTERM; run several for more at once')
  .option('--interval-seconds <n>', 'longest pause between looks at the control table', positiveNumber, 15)
  .option(...heavyOption)
  .action(async (options: { intervalSeconds: number; heavy?: number }) =>
    set(await (await import('./commands/worker.js')).workerCommand(options)),
  );

program
  .command('status [pipeline]')
  .description("each pipeline's current or last run, its steps and errors")
  .option('--json', 'machine-readable output')
  .action(async (pipeline: string | undefined, options: { json?: boolean }) =>
    set(await (await import('./commands/status.js')).statusCommand(pipeline, options)),
  );

program
  .command('history [pipeline]')
  .description('past runs, newest first, with outcome, duration and estimated add-on cost')
  .option('--json', 'machine-readable output')
  .option('--limit <n>', 'how many runs', (v) => Math.floor(positiveNumber(v)), 20)
  .action(async (pipeline: string | undefined, options: { json?: boolean; limit: number }) =>
    set(await (await import('./commands/history.js')).historyCommand(pipeline, options)),
  );

program
  .command('events <run>')
  .description("a run's full transition log")
  .option('--json', 'machine-readable output')
  .action(async (run: string, options: { json?: boolean }) =>
    set(await (await import('./commands/events.js')).eventsCommand(run, options)),
  );

program
  .command('report <run>')
  .description('the record of one refresh (a run id, or a pipeline for its newest run): data, rules, checks, steps, cost')
  .option('--json', 'machine-readable output')
  .option('--markdown', 'Markdown, e.g. for an auditor')
  .action(async (run: string, options: { json?: boolean; markdown?: boolean }) =>
    set(await (await import('./commands/report.js')).reportCommand(run, options)),
  );

program
  .command('abort <pipeline>')
  .description('stop the active run safely: destroy the fork if not promoted, else finish cleanup')
  .action(async (pipeline: string) => set(await (await import('./commands/abort.js')).abortCommand(pipeline)));

program
  .command('rollback <pipeline>')
  .description('promote the database the last refresh replaced (kept by keep_previous) back to DATABASE')
  .action(async (pipeline: string) => set(await (await import('./commands/rollback.js')).rollbackCommand(pipeline)));

program
  .command('gc')
  .description('list refork add-ons that no live run owns; destroy them with --yes (never a DATABASE)')
  .option('--yes', 'destroy them')
  .option('--json', 'machine-readable output')
  .action(async (options: { yes?: boolean; json?: boolean }) => set(await (await import('./commands/gc.js')).gcCommand(options)));

program
  .command('doctor')
  .description('check the token, apps, plans, safety rails, control database and rules, changing nothing')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => set(await (await import('./commands/doctor.js')).doctorCommand(options)));

program
  .command('migrate')
  .description('create or update the control tables in REFORK_DATABASE_URL')
  .option('--unlock', 'first free a migration lock left by a killed process')
  .action(async (options: { unlock?: boolean }) => set(await (await import('./commands/migrate.js')).migrateCommand(options)));

program
  .command('plan <pipeline>')
  .description("what anonymization would do to the source database's tables, without writing anything")
  .option('--url <url>', "read this database instead of the source app's")
  .option('--preview <rows>', 'show this many masked sample rows per table (needs REFORK_ANONYMIZE_KEY)', (v) =>
    Math.floor(positiveNumber(v)),
  )
  .option('--json', 'machine-readable output')
  .action(async (pipeline: string, options: { url?: string; preview?: number; json?: boolean }) =>
    set(await (await import('./commands/plan.js')).planCommand(pipeline, options)),
  );

program
  .command('scan [pipeline]')
  .description('propose anonymization rules from column names and sampled values (values are never printed)')
  .option('--url <url>', "read this database instead of the pipeline's source")
  .option('--json', 'machine-readable output')
  .action(async (pipeline: string | undefined, options: { url?: string; json?: boolean }) =>
    set(await (await import('./commands/scan.js')).scanCommand(pipeline, options)),
  );

program
  .command('demo')
  .description('run a whole refresh locally: embedded PostgreSQL, Heroku simulator, fake production data')
  .action(async () => set(await (await import('./commands/demo.js')).demoCommand()));

program
  .command('sim')
  .description('serve the local Heroku simulator (Platform + Postgres API subset, real databases)')
  .requiredOption('--postgres-url <url>', 'superuser URL of the PostgreSQL server that holds the add-on databases')
  .option('--port <port>', 'port on 127.0.0.1', (v) => Math.floor(positiveNumber(v)), 5555)
  .option('--token <token>', 'API token the simulator accepts', 'sim-token')
  .option('--provision-delay <ms>', 'time an add-on spends provisioning', (v) => Number(v), 2000)
  .option('--fixture <file>', 'JSON or YAML file of apps and databases to create at start')
  .action(async (options) => set(await (await import('./commands/sim.js')).simCommand(options)));

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error)).split('\n')[0];
    console.error(`refork: ${message}`);
    exitCode = isConfigMistake(error) ? 2 : 1;
  }
  // process.exit() does not wait for a pipe to drain: a big `scan --json` would reach a file cut short.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  // Explicit: connection pools and timers left open by a library must not keep a finished command alive.
  process.exit(exitCode);
}

// Not a top-level await: the bundle (scripts/bundle.mjs) is CommonJS, for the code cache.
void main();

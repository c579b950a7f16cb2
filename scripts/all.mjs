// `npm test`'s runner: the static checks and the suites side by side, failing if any one fails.
// Run one after another they left a core idle for the first minute (tsc, eslint and prettier are
// single-threaded); together they finish sooner on the same two cores.
//
//   node scripts/all.mjs "<command>" … "<last command>"
//
// Every command runs at once through the shell. The last one's output streams as it comes (the
// suites, minutes long); each other's is held and printed when it ends, whole if it failed, one
// line if it passed, so outputs never interleave mid-line. The exit code is 0 only when every
// command exited 0: a command that failed, was killed by a signal or could not start makes it 1,
// and the last line names what failed. SIGINT or SIGTERM stops every command and exits 1.
import { spawn } from 'node:child_process';

const commands = process.argv.slice(2);
if (commands.length === 0) {
  console.error('usage: node scripts/all.mjs "<command>" … "<last command, whose output streams>"');
  process.exit(2);
}

const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
const children = new Set();

/** Runs `command`; resolves to a description of its failure, or undefined when it exited 0. */
function run(command, stream) {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', stream ? 'inherit' : 'pipe', stream ? 'inherit' : 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => {
      output += `${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      const failure = code === 0 ? undefined : signal ? `killed by ${signal}` : `exited ${code ?? 'without a code'}`;
      if (!stream) {
        if (failure) process.stdout.write(`\n── ${command}: ${failure} (${seconds()})\n${output}\n`);
        else process.stdout.write(`── ${command}: passed (${seconds()})\n`);
      }
      resolve(failure && `${command} (${failure})`);
    });
  });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = true;
    for (const child of children) child.kill(signal);
  });
}

const failures = (await Promise.all(commands.map((command, index) => run(command, index === commands.length - 1)))).filter(
  (failure) => failure !== undefined,
);
if (interrupted) failures.push('interrupted');
console.log(failures.length === 0 ? `── all ${commands.length} passed (${seconds()})` : `── FAILED: ${failures.join('; ')} (${seconds()})`);
process.exit(failures.length === 0 ? 0 : 1);

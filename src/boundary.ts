// Side-effect boundaries: named points before and after every Heroku mutation and control
// write. Production passes them through; the crash suite records them or dies at one.
import { appendFileSync } from 'node:fs';

export type Boundary = (name: string) => void;

export const noBoundary: Boundary = () => {};

/**
 * REFORK_TRACE_FILE=path appends every boundary name (one per line) to a file;
 * REFORK_CRASH_AT=name#n sends SIGKILL to this process at the n-th time `name` is reached (n defaults to 1).
 */
export function boundaryFromEnv(env: NodeJS.ProcessEnv = process.env): Boundary {
  const traceFile = env.REFORK_TRACE_FILE;
  const crashAt = env.REFORK_CRASH_AT;
  if (!traceFile && !crashAt) return noBoundary;
  const [crashName, crashNth] = (crashAt ?? '').split('#');
  const target = Number(crashNth ?? '1');
  const seen = new Map<string, number>();
  return (name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (traceFile) appendFileSync(traceFile, `${name}#${count}\n`);
    if (crashAt && name === crashName && count === target) process.kill(process.pid, 'SIGKILL');
  };
}

// Where an embedded PostgreSQL server (embedded-host.ts) keeps its data directory.
import { accessSync, constants, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Memory-backed (tmpfs) on Linux: where a throw-away server keeps its data when there is room. */
export const MEMORY_DIR = '/dev/shm';
/** Room a throw-away server may need there: the test suite's databases and WAL at their peak, with margin. */
export const MEMORY_MIN_FREE = 4 * 2 ** 30;

/**
 * Where the data directory goes. A throw-away server's data need no disk: in memory, creating and
 * dropping hundreds of databases (the test suite does) costs no file-system journal, and on ext4
 * no search for free inodes among recently deleted ones; the suite took a fifth less time so. A
 * durable server (the benchmarks, measuring what production does) stays on disk, and so does any
 * server told where to go by TMPDIR.
 */
export function dataParent(durable: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (!durable && !env['TMPDIR']) {
    try {
      const room = statfsSync(MEMORY_DIR);
      accessSync(MEMORY_DIR, constants.W_OK);
      if (room.bavail * room.bsize >= MEMORY_MIN_FREE) return MEMORY_DIR;
    } catch {
      // No such file system here (not Linux, or not mounted): the usual temporary directory.
    }
  }
  return tmpdir();
}

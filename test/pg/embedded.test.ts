// A throw-away embedded server (the test suite's, the demo's) keeps its data in memory when the
// machine has room for it and hashes passwords with one SCRAM iteration; a durable one (the
// benchmarks') stays on disk; one told where to go by TMPDIR goes there.
import { existsSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataParent, MEMORY_DIR, MEMORY_MIN_FREE } from '../../src/pg/data-parent.js';
import { startEmbeddedPostgres } from '../../src/pg/embedded.js';
import { withClient } from '../support/pg.js';

function memoryHasRoom(): boolean {
  try {
    const room = statfsSync(MEMORY_DIR);
    return room.bavail * room.bsize >= MEMORY_MIN_FREE;
  } catch {
    return false;
  }
}

describe('where an embedded server keeps its data', () => {
  it('in memory when throw-away and there is room; on disk when durable or when TMPDIR names a place', () => {
    expect(dataParent(false, {})).toBe(memoryHasRoom() ? MEMORY_DIR : tmpdir());
    expect(dataParent(true, {})).toBe(tmpdir());
    expect(dataParent(false, { TMPDIR: tmpdir() })).toBe(tmpdir());
  });

  it('a throw-away server: its data where dataParent says, passwords hashed once, nothing left after it stops', async () => {
    const server = await startEmbeddedPostgres();
    let dataDirectory = '';
    try {
      const facts = await withClient(
        server.url,
        async (client) =>
          (
            await client.query<{ directory: string; iterations: string; verifier: string }>(
              `SELECT current_setting('data_directory') AS directory, current_setting('scram_iterations') AS iterations,
                    (SELECT rolpassword FROM pg_authid WHERE rolname = current_user) AS verifier`,
            )
          ).rows[0],
      );
      dataDirectory = facts?.directory ?? '';
      expect(dirname(dirname(dataDirectory))).toBe(dataParent(false));
      expect(facts?.iterations).toBe('1');
      // The superuser's password, set by initdb, is hashed with one iteration too.
      expect(facts?.verifier).toMatch(/^SCRAM-SHA-256\$1:/);
    } finally {
      await server.stop();
    }
    expect(existsSync(dirname(dataDirectory))).toBe(false);
  });
});

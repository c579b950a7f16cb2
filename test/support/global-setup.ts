// Builds the CLI the suites spawn, and starts one real PostgreSQL server for the whole suite,
// unless TEST_DATABASE_URL names one.
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/pg/embedded.js';
import { buildCli } from './build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  buildCli();
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  const server = await startEmbeddedPostgres();
  project.provide('postgresUrl', server.url);
  return async () => {
    await server.stop();
  };
}

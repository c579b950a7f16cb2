import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/pipeline.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refork-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pipeline = (anonymize: string) =>
  `pipelines:\n  staging:\n    source: acme-prod\n    target: acme-staging\n    anonymize: ${anonymize}\n`;

describe('loadConfig', () => {
  it('reads the anonymize section from a file named relative to the config file', async () => {
    await mkdir(join(dir, 'rules'));
    await writeFile(
      join(dir, 'rules', 'staging.yml'),
      'tables:\n  users:\n    columns: { id: safe, email: email }\n  sessions: truncate\n',
    );
    const config = await loadConfig(await written(pipeline('rules/staging.yml')));
    expect(config.pipelines['staging']?.anonymize.tables.map((table) => [table.name.table, table.rule.kind])).toEqual([
      ['users', 'columns'],
      ['sessions', 'truncate'],
    ]);
  });

  it('names the key and the fix when the rules file is missing', async () => {
    const path = await written(pipeline('rules/missing.yml'));
    await expect(loadConfig(path)).rejects.toThrow(
      new RegExp(`^${path}: pipelines\\.staging\\.anonymize: rules file .*missing\\.yml cannot be read; fix the path`),
    );
  });

  it("reads the fork's disk in gigabytes, and names the key of a value that is not a positive number", async () => {
    const withDisk = (disk: string) => `${pipeline('{ tables: {} }')}    disk: ${disk}\n`;
    const config = await loadConfig(await written(withDisk('{ storage_gb: 64, budget_gb: 0.5 }')));
    expect(config.pipelines['staging']?.disk).toEqual({ storageBytes: 64 * 1024 ** 3, budgetBytes: 512 * 1024 ** 2 });
    expect((await loadConfig(await written(pipeline('{ tables: {} }')))).pipelines['staging']?.disk).toEqual({});
    await expect(loadConfig(await written(withDisk('{ budget_gb: -1 }')))).rejects.toThrow(/: pipelines\.staging\.disk\.budget_gb: /);
    await expect(loadConfig(await written(withDisk('{ storage: 64 }')))).rejects.toThrow(
      /: pipelines\.staging\.disk: unknown key "storage": remove it or check its spelling/,
    );
  });

  it('reads maintenance: true|false (default false), and names the key and the fix for anything else', async () => {
    const withMaintenance = (value: string) => `${pipeline('{ tables: {} }')}    maintenance: ${value}\n`;
    expect((await loadConfig(await written(pipeline('{ tables: {} }')))).pipelines['staging']?.maintenance).toBe(false);
    expect((await loadConfig(await written(withMaintenance('true')))).pipelines['staging']?.maintenance).toBe(true);
    for (const value of ['yes', '"on"', '1']) {
      await expect(loadConfig(await written(withMaintenance(value)))).rejects.toThrow(
        /: pipelines\.staging\.maintenance: must be true or false \(true puts the target in maintenance mode around the swap\)$/,
      );
    }
  });

  it('reports a rule error inside the rules file against the pipeline key', async () => {
    await writeFile(join(dir, 'bad.yml'), 'tables:\n  users:\n    columns: { email: shuffle }\n');
    await expect(loadConfig(await written(pipeline('bad.yml')))).rejects.toThrow(
      /pipelines\.staging\.anonymize\.tables\.users\.columns\.email: .*shuffle/,
    );
  });
});

async function written(text: string): Promise<string> {
  const path = join(dir, 'refork.yml');
  await writeFile(path, text);
  return path;
}

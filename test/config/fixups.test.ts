// `fixups:` and `fixups_file:` as the config loader reads them: statements split where SQL ends
// them (not inside quotes, dollar quotes or comments), and every mistake a one-line error naming
// the key, the statement and the fix.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { excerptOf, literalsOf, splitStatements } from '../../src/config/fixups.js';
import { loadConfig, parseConfig } from '../../src/config/pipeline.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refork-fixups-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = 'pipelines:\n  staging:\n    source: acme-prod\n    target: acme-staging\n    anonymize: { tables: {} }\n';

async function load(extra: string): Promise<string[] | undefined> {
  const path = join(dir, 'refork.yml');
  await writeFile(path, base + extra);
  return (await loadConfig(path)).pipelines['staging']?.fixups;
}

async function loadError(extra: string): Promise<string> {
  const error = await load(extra).then(
    () => new Error('loaded'),
    (e: unknown) => e as Error,
  );
  expect(error.name).toBe('ConfigError');
  expect(error.message).not.toContain('\n');
  return error.message;
}

const FILE = `-- Staff test accounts sign in with a known password.
UPDATE users SET encrypted_password = '$2a$10$abc;def' WHERE email LIKE '%@staff.example.test';

/* Outbound integrations point at sandboxes; /* nested */ comments are fine. */
UPDATE integrations SET url = replace(url, 'api.', 'sandbox.');
DO $body$ BEGIN UPDATE flags SET enabled = true WHERE name = 'it''s;on'; END $body$;
INSERT INTO notes VALUES (E'a\\'; b')
`;

describe('fix-ups in the config', () => {
  it('are none by default', async () => {
    expect(await load('')).toEqual([]);
  });

  it('reads a list, one statement an entry (a trailing ; is fine)', async () => {
    expect(
      await load(`    fixups:\n      - "UPDATE flags SET enabled = true WHERE name = 'beta';"\n      - DELETE FROM webhooks\n`),
    ).toEqual(["UPDATE flags SET enabled = true WHERE name = 'beta'", 'DELETE FROM webhooks']);
  });

  it('reads a file relative to the config, split at the ; that end statements', async () => {
    await writeFile(join(dir, 'staging.sql'), FILE);
    expect(await load('    fixups_file: staging.sql\n')).toEqual([
      "UPDATE users SET encrypted_password = '$2a$10$abc;def' WHERE email LIKE '%@staff.example.test'",
      "UPDATE integrations SET url = replace(url, 'api.', 'sandbox.')",
      "DO $body$ BEGIN UPDATE flags SET enabled = true WHERE name = 'it''s;on'; END $body$",
      "INSERT INTO notes VALUES (E'a\\'; b')",
    ]);
  });

  it.each([
    [
      'an empty entry',
      '    fixups: ["UPDATE a SET b = 1", "  "]\n',
      'pipelines.staging.fixups[1]: fix-up 2 is empty: remove it, or write the statement',
    ],
    ['a comment only', '    fixups: ["-- nothing"]\n', 'pipelines.staging.fixups[0]: fix-up 1 is empty'],
    [
      'two statements in one entry',
      '    fixups: ["UPDATE a SET b = 1; UPDATE c SET d = 2"]\n',
      'pipelines.staging.fixups[0]: holds 2 statements: list each as an entry of its own',
    ],
    [
      'a COMMIT',
      '    fixups: ["UPDATE a SET b = 1", "commit"]\n',
      'pipelines.staging.fixups[1]: fix-up 2 controls the transaction (COMMIT)',
    ],
    ['a SAVEPOINT', '    fixups: ["/* x */ SAVEPOINT s"]\n', 'fix-up 1 controls the transaction (SAVEPOINT)'],
    ['not a list', '    fixups: "UPDATE a SET b = 1"\n', 'pipelines.staging.fixups: must be a list of SQL statements'],
    ['a number', '    fixups: [42]\n', 'pipelines.staging.fixups[0]: must be an SQL statement (quote it in YAML)'],
  ])('refuses %s in the list, naming it', async (_, extra, message) => {
    expect(await loadError(extra)).toContain(message);
  });

  it('refuses an empty statement in a file, naming its line', async () => {
    await writeFile(join(dir, 'bad.sql'), 'UPDATE a SET b = 1;\n\n-- oops\n;\nUPDATE c SET d = 2;\n');
    expect(await loadError('    fixups_file: bad.sql\n')).toMatch(
      /: pipelines\.staging\.fixups_file: .*bad\.sql line 4: fix-up 2 is empty: remove it, or write the statement$/,
    );
  });

  it('refuses a file of transaction control, one with no statement, an unreadable one, and both keys at once', async () => {
    await writeFile(join(dir, 'tx.sql'), 'BEGIN;\nUPDATE a SET b = 1;\nCOMMIT;\n');
    expect(await loadError('    fixups_file: tx.sql\n')).toMatch(/tx\.sql line 1: fix-up 1 controls the transaction \(BEGIN\)/);
    await writeFile(join(dir, 'empty.sql'), '-- nothing yet\n');
    expect(await loadError('    fixups_file: empty.sql\n')).toMatch(/empty\.sql holds no statement: write the fix-ups/);
    expect(await loadError('    fixups_file: missing.sql\n')).toMatch(
      /: pipelines\.staging\.fixups_file: .*missing\.sql cannot be read; fix the path \(it is relative to /,
    );
    await writeFile(join(dir, 'ok.sql'), 'UPDATE a SET b = 1;\n');
    expect(await loadError('    fixups_file: ok.sql\n    fixups: ["UPDATE c SET d = 2"]\n')).toMatch(
      /: pipelines\.staging\.fixups_file: set fixups or fixups_file, not both/,
    );
  });

  it('refuses a fixups_file given straight to parseConfig (it is read by loadConfig)', () => {
    const document = {
      pipelines: { staging: { source: 'acme-prod', target: 'acme-staging', anonymize: { tables: {} }, fixups_file: 'x.sql' } },
    };
    expect(() => parseConfig(document)).toThrow(/pipelines\.staging\.fixups_file: was not read/);
  });
});

describe('statements and excerpts', () => {
  it('numbers the line each statement starts on', () => {
    expect(splitStatements('\n-- a\nSELECT 1;\n\nSELECT\n 2;').map((s) => s.line)).toEqual([3, 5]);
  });

  it('shows an excerpt without literals, comments or line breaks, cut short', () => {
    expect(excerptOf(`UPDATE users -- staff\n  SET encrypted_password = 'hunter2'\n WHERE email = $$qa@example.test$$`)).toBe(
      `UPDATE users SET encrypted_password = '…' WHERE email = '…'`,
    );
    const long = excerptOf(`UPDATE a_very_long_table_name SET a_very_long_column_name = another_long_column_name + 1 WHERE id = 3`);
    expect(long).toHaveLength(60);
    expect(long.endsWith('…')).toBe(true);
    expect(excerptOf(`INSERT INTO t VALUES (E'it\\'s secret')`)).toBe(`INSERT INTO t VALUES ('…')`);
  });

  it('finds the literal values a message must not repeat', () => {
    expect(literalsOf(`SELECT 'a''b', E'c\\'d', $t$e$t$, "ident"`)).toEqual(["a'b", "c'd", 'e']);
  });
});

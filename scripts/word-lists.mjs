// Writes src/anonymize/word-lists.json, the word lists fakes are drawn from, out of faker's English
// locale (@faker-js/faker, a development dependency; MIT, see docs/anonymization.md#word-lists).
// The lists are part of every pseudonym (a keyed hash picks a position in them), so refork ships
// them frozen instead of reading whatever faker version is installed: regenerating them changes
// every fake, and test/anonymize/word-lists.test.ts says when faker's lists no longer match.
//
//   node --import tsx scripts/word-lists.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fakerWordLists } from '../test/support/faker-word-lists.ts';

const file = new URL('../src/anonymize/word-lists.json', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { version } = require('@faker-js/faker/package.json');
// MIT asks for its notice in every copy: it travels with the lists, into dist/ and the bundle.
const license = readFileSync(join(dirname(require.resolve('@faker-js/faker/package.json')), 'LICENSE'), 'utf8');
writeFileSync(file, `${JSON.stringify({ source: `@faker-js/faker ${version}, locale en`, license, lists: fakerWordLists() })}\n`);
// Formatted as the repository formats JSON, so `prettier --check` passes on it.
execFileSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', file], { stdio: 'inherit' });

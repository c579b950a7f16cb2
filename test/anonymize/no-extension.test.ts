// Keyed masks are HMAC-SHA256 built from PostgreSQL's own sha256(): neither `plan --preview` on
// production nor masking the fork needs pgcrypto, and the outputs are exactly HMAC-SHA256 (so
// every pseudonym is what it was when pgcrypto's hmac() computed it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, planAnonymization } from '../../src/anonymize/index.js';
import { createFixture, expectedEmail, expectedHash, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE TABLE people (id int PRIMARY KEY, email text, name text, badge bytea);
    INSERT INTO people VALUES (1, 'Zoë@Exämple.com', 'Zoë Ñúñez', '\\x0102'), (2, 'ada@gmail.com', 'Ada', NULL);
  `);
});
afterAll(async () => {
  await fixture.drop();
});

const rules = parseRules({ tables: { people: { columns: { id: 'safe', email: 'email', name: 'hash', badge: 'hash' } } } }, 'anonymize');
const extensions = () => fixture.query<{ extname: string }>(`SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'`);

describe('keyed masks without an extension', () => {
  it('previews masked rows in a database without pgcrypto, and installs nothing', async () => {
    const key = 'preview-key-without-pgcrypto';
    const report = await planAnonymization({ connect: fixture.connect, rules, key, previewRows: 5 });
    expect(report.problems).toEqual([]);
    expect(report.tables[0]?.preview).toEqual([
      { email: expectedEmail(key, 'Zoë@Exämple.com'), name: expectedHash(key, 'Zoë Ñúñez'), badge: expect.any(Buffer) },
      { email: expectedEmail(key, 'ada@gmail.com'), name: expectedHash(key, 'Ada'), badge: null },
    ]);
    expect(await extensions()).toEqual([]);
  });

  it('masks with exactly HMAC-SHA256, for short keys and keys longer than a block, without creating an extension', async () => {
    for (const key of ['short', `long-${'x'.repeat(100)}`]) {
      await fixture.query(`UPDATE people SET email = CASE id WHEN 1 THEN 'Zoë@Exämple.com' ELSE 'ada@gmail.com' END, name = 'Zoë Ñúñez'`);
      await anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key });
      const rows = await fixture.query<{ email: string; name: string }>('SELECT email, name FROM people ORDER BY id');
      expect(rows).toEqual([
        { email: expectedEmail(key, 'Zoë@Exämple.com'), name: expectedHash(key, 'Zoë Ñúñez') },
        { email: expectedEmail(key, 'ada@gmail.com'), name: expectedHash(key, 'Zoë Ñúñez') },
      ]);
    }
    expect(await extensions()).toEqual([]);
  });
});

// Columns computed from masked columns end up computed from the masked values, or the rules are
// refused before anything runs: a search vector or a copy a trigger maintains never keeps the
// words of production.
import { describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, planAnonymization } from '../../src/anonymize/index.js';
import { fixturesPerTest, maskAndVerify, newKey, newRunId } from './fixture.js';

const key = newKey();
const fixtureOf = fixturesPerTest();

const AUTHORS = `'Ada Lovelace', 'Grace Hopper', 'Alan Turing'`;

describe('columns derived from masked columns', () => {
  it('a search vector kept by tsvector_update_trigger is computed again from the masked values', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE articles (id int PRIMARY KEY, title text, author text, search tsvector);
      CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE ON articles
        FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(search, 'pg_catalog.simple', title, author);
      INSERT INTO articles (id, title, author) SELECT i, 'notes ' || i, (ARRAY[${AUTHORS}])[1 + i % 3] FROM generate_series(1, 300) i;
    `);
    const report = await maskAndVerify(
      fixture,
      {
        tables: { articles: { columns: { id: 'safe', title: 'safe', author: { strategy: 'fake', kind: 'full_name' }, search: 'safe' } } },
      },
      key,
    );
    expect(report.problems).toEqual([]);
    const [row] = await fixture.query<{ originals: number; stale: number }>(`
      SELECT count(*) FILTER (WHERE search @@ to_tsquery('simple', 'lovelace | hopper | turing'))::int AS originals,
             count(*) FILTER (WHERE NOT search @@ plainto_tsquery('simple', author) OR search IS NULL)::int AS stale
        FROM articles`);
    expect(row).toEqual({ originals: 0, stale: 0 });
    // The trigger is back on afterwards, as it was.
    await fixture.query(`UPDATE articles SET author = 'Zed Zimmer' WHERE id = 1`);
    expect(await fixture.query(`SELECT search @@ to_tsquery('simple', 'zimmer') AS ok FROM articles WHERE id = 1`)).toEqual([{ ok: true }]);
  });

  it('a plpgsql trigger that computes copies of its own row runs again, through the rewrite of a big table too', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE members (id int PRIMARY KEY, first text, last text, display text, search tsvector, touched int DEFAULT 0);
      CREATE INDEX members_display ON members (display);
      CREATE FUNCTION members_derive() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- keep the display name and the search vector in step with the name
        NEW.display := NEW.first || ' ' || NEW.last;
        NEW.search := to_tsvector('simple', coalesce(NEW.display, ''));
        IF TG_OP = 'UPDATE' THEN NEW.touched := OLD.touched + 1; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER members_derive BEFORE INSERT OR UPDATE ON members FOR EACH ROW EXECUTE FUNCTION members_derive();
      INSERT INTO members (id, first, last) SELECT i, 'Ada' || (i % 50), 'Lovelace' || (i % 70) FROM generate_series(1, 60000) i;
      ANALYZE members;
    `);
    const report = await maskAndVerify(
      fixture,
      {
        tables: {
          members: {
            columns: {
              id: 'safe',
              first: { strategy: 'fake', kind: 'first_name' },
              last: { strategy: 'fake', kind: 'last_name' },
              display: 'safe',
              search: 'safe',
              touched: 'safe',
            },
          },
        },
      },
      key,
    );
    expect(report.problems).toEqual([]);
    const [row] = await fixture.query<{ leaks: number; stale: number; method: string }>(`
      SELECT count(*) FILTER (WHERE display LIKE '%Lovelace%' OR search @@ to_tsquery('simple', 'lovelace1'))::int AS leaks,
             count(*) FILTER (WHERE display IS DISTINCT FROM first || ' ' || last
                                 OR search IS DISTINCT FROM to_tsvector('simple', first || ' ' || last))::int AS stale,
             (SELECT checks->>'method' FROM refork.anonymized WHERE table_name = 'public.members') AS method
        FROM members`);
    expect(row).toEqual({ leaks: 0, stale: 0, method: 'rewrite' });
  });

  it('a trigger declared UPDATE OF other columns is made to fire', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE notes (id int PRIMARY KEY, body text, owner text, search tsvector);
      CREATE FUNCTION notes_search() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.search := to_tsvector('simple', coalesce(NEW.body, '') || ' ' || coalesce(NEW.owner, '')); RETURN NEW; END $$;
      CREATE TRIGGER notes_search BEFORE INSERT OR UPDATE OF body ON notes FOR EACH ROW EXECUTE FUNCTION notes_search();
      INSERT INTO notes (id, body, owner) SELECT i, 'todo', (ARRAY[${AUTHORS}])[1 + i % 3] FROM generate_series(1, 100) i;
    `);
    const report = await maskAndVerify(
      fixture,
      { tables: { notes: { columns: { id: 'safe', body: 'safe', owner: 'hash', search: 'safe' } } } },
      key,
    );
    expect(report.problems).toEqual([]);
    expect(
      await fixture.query(`SELECT count(*)::int AS n FROM notes WHERE search @@ to_tsquery('simple', 'lovelace | hopper | turing')`),
    ).toEqual([{ n: 0 }]);
  });

  it('stored and virtual generated columns are computed from the masked values', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE people (id int PRIMARY KEY, email text,
        domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED,
        shout text GENERATED ALWAYS AS (upper(email)) VIRTUAL);
      INSERT INTO people (id, email) SELECT i, 'p' || i || '@gmail.com' FROM generate_series(1, 200) i;
    `);
    const report = await maskAndVerify(fixture, { tables: { people: { columns: { id: 'safe', email: 'email' } } } }, key);
    expect(report.problems).toEqual([]);
    expect(
      await fixture.query(
        `SELECT count(*)::int AS n FROM people WHERE domain <> 'example.test' OR shout <> upper(email) OR shout LIKE '%GMAIL%'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('refuses, before anything runs, a column computed by a trigger that writes elsewhere too', async () => {
    const fixture = await fixtureOf(`
      CREATE TABLE audit (at timestamptz, line text);
      CREATE TABLE clients (id int PRIMARY KEY, name text, label text);
      CREATE FUNCTION clients_label() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.label := upper(NEW.name);
        INSERT INTO audit VALUES (now(), OLD.name);
        RETURN NEW;
      END $$;
      CREATE TRIGGER clients_label BEFORE INSERT OR UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION clients_label();
      INSERT INTO clients (id, name) VALUES (1, 'Ada Lovelace');
    `);
    const rules = parseRules(
      { tables: { audit: 'truncate', clients: { columns: { id: 'safe', name: { strategy: 'fake', kind: 'full_name' }, label: 'safe' } } } },
      'anonymize',
    );
    const report = await planAnonymization({ connect: fixture.connect, rules });
    expect(report.problems).toEqual([
      'anonymize.tables.clients.columns.label: public.clients."label" is computed by trigger "clients_label" from masked columns, and refork cannot run that trigger while masking (its function runs insert): mask "label" too, or declare it { strategy: safe, scan: false } if its values are public',
    ]);
    await expect(anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key })).rejects.toThrow(
      /"label" is computed by trigger/,
    );
    expect(await fixture.query(`SELECT name, label FROM clients`)).toEqual([{ name: 'Ada Lovelace', label: 'ADA LOVELACE' }]);
  });

  it('refuses a search vector that nothing in the database recomputes, unless declared public', async () => {
    const schema = `
      CREATE TABLE products (id int PRIMARY KEY, seller_email text, search tsvector);
      INSERT INTO products VALUES (1, 'ada@gmail.com', to_tsvector('simple', 'ada@gmail.com blue kettle'));
    `;
    const fixture = await fixtureOf(schema);
    const rules = (search: unknown) =>
      parseRules({ tables: { products: { columns: { id: 'safe', seller_email: 'email', search } } } }, 'anonymize');
    const refused = await planAnonymization({ connect: fixture.connect, rules: rules('safe') });
    expect(refused.problems).toEqual([
      `anonymize.tables.products.columns.search: public.products."search" is a search vector that nothing in the database recomputes after masking (the application writes it?), so it would keep production's words: mask it (e.g. null), or declare it { strategy: safe, scan: false } if its words are public`,
    ]);
    expect((await planAnonymization({ connect: fixture.connect, rules: rules({ strategy: 'safe', scan: false }) })).problems).toEqual([]);
    expect((await planAnonymization({ connect: fixture.connect, rules: rules(null) })).problems).toEqual([]);
  });
});

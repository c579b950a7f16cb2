// Like Heroku's default credential, an add-on's role owns every object in its database, whoever
// owned them in the source: schemas, tables, sequences, views, functions, types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type AddonBody, api, query, settled, startSim, uniqueName, waitAvailable } from './helpers.js';

const RICH_SCHEMA = `
  CREATE SCHEMA billing;
  CREATE TYPE mood AS ENUM ('happy', 'sad');
  CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
  CREATE TYPE pair AS (a int, b int);
  CREATE SEQUENCE standalone_seq;
  CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, address email, feeling mood, serial_no serial);
  CREATE TABLE billing.invoices (id serial PRIMARY KEY, person_id bigint REFERENCES people(id), total int) ;
  CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
  CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
  CREATE VIEW happy_people AS SELECT * FROM people WHERE feeling = 'happy';
  CREATE MATERIALIZED VIEW invoice_totals AS SELECT person_id, sum(total) AS total FROM billing.invoices GROUP BY 1;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER people_touch BEFORE UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;
  INSERT INTO people (address, feeling) VALUES ('a@example.com', 'happy');
`;

const FOREIGN_OWNED = `
  SELECT 'schema ' || nspname AS object FROM pg_namespace
   WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND nspowner <> current_user::regrole
  UNION ALL
  SELECT 'relation ' || c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND c.relowner <> current_user::regrole
  UNION ALL
  SELECT 'routine ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND p.proowner <> current_user::regrole
  UNION ALL
  SELECT 'type ' || t.oid::regtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND t.typowner <> current_user::regrole`;

describe("the add-on role's ownership", () => {
  let sim: Simulator;
  const app = uniqueName('owner');

  beforeAll(async () => {
    sim = await startSim();
    sim.createApp(app);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('owns everything in a seeded database and in a fork of it', async () => {
    const source = await sim.addDatabase(app, { seedSql: RICH_SCHEMA });
    expect(await query(sim.databaseUrl(source.name), FOREIGN_OWNED)).toEqual([]);

    const created = await api<AddonBody>(sim, 'POST', `/apps/${app}/addons`, {
      plan: 'heroku-postgresql:standard-0',
      attachment: { name: 'FORK' },
      config: { fork: source.name },
    });
    await settled(sim, app, created.body.name);
    await waitAvailable(sim, created.body.id);
    const fork = sim.databaseUrl(created.body.name);
    expect(await query(fork, FOREIGN_OWNED)).toEqual([]);
    // Owner-only operations work as the add-on's role.
    await query(fork, 'ALTER TABLE people DISABLE TRIGGER USER');
    await query(fork, 'REFRESH MATERIALIZED VIEW invoice_totals');
    await query(fork, 'TRUNCATE billing.invoices, people CASCADE');
    await query(fork, "SELECT setval('standalone_seq', 1)");
    // The source's role cannot reach the fork.
    const sourceUser = new URL(sim.databaseUrl(source.name)).username;
    const intruder = new URL(fork);
    intruder.username = sourceUser;
    intruder.password = new URL(sim.databaseUrl(source.name)).password;
    await expect(query(intruder.toString(), 'SELECT 1')).rejects.toThrow(/permission denied/);
  });
});

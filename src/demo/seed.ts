// A small "production" database full of realistic fake PII, generated inside Postgres: the
// demo refreshes from it and the end-to-end tests check that none of it reaches staging.
import pg from 'pg';

const FIRST = [
  'Amelia',
  'Noah',
  'Olivia',
  'Liam',
  'Emma',
  'Mateo',
  'Sofia',
  'Lucas',
  'Ava',
  'Hugo',
  'Chloé',
  'Jürgen',
  'Aiko',
  'Ravi',
  'Zanele',
  'Ines',
];
const LAST = [
  'Smith',
  'García',
  'Müller',
  'Rossi',
  'Dubois',
  'Nowak',
  'Kowalski',
  'Tanaka',
  'Okafor',
  'Silva',
  'Johansson',
  "O'Brien",
  'Nguyen',
  'Patel',
];
const STREETS = ['Maple Street', 'Rue de la Paix', 'Hauptstraße', 'Via Roma', 'Baker Street', 'Calle Mayor', 'Elm Avenue'];

export const DEMO_SCHEMA = `
  CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    full_name text NOT NULL,
    email text NOT NULL UNIQUE,
    phone text,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id),
    total_cents integer NOT NULL,
    shipping_address text,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX orders_customer_id ON orders(customer_id);
  CREATE TABLE sessions (
    id text PRIMARY KEY,
    customer_id bigint REFERENCES customers(id),
    token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
`;

/** Creates the demo schema and fills it: `customers` rows, about 2.5 orders each, one session each. */
export async function seedDemoDatabase(connectionString: string, customers = 2000): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(DEMO_SCHEMA);
    await client.query(
      `INSERT INTO customers (full_name, email, phone, created_at)
       SELECT f.name || ' ' || l.name,
              lower(translate(f.name, 'éüö''', 'euo')) || '.' || lower(translate(l.name, 'íüö''', 'iuo')) || i || '@mail' || (i % 7) || '.example.com',
              '+1-555-' || lpad((i * 7919 % 10000)::text, 4, '0'),
              timestamptz '2024-01-01' + (i || ' hours')::interval
         FROM generate_series(1, $1::int) AS i
         JOIN LATERAL (SELECT ($2::text[])[1 + i % array_length($2::text[], 1)] AS name) f ON true
         JOIN LATERAL (SELECT ($3::text[])[1 + (i / 7) % array_length($3::text[], 1)] AS name) l ON true`,
      [customers, FIRST, LAST],
    );
    await client.query(
      `INSERT INTO orders (customer_id, total_cents, shipping_address, created_at)
       SELECT 1 + (i * 31) % $1::int, 500 + (i * 97) % 40000,
              (i % 200 + 1) || ' ' || ($2::text[])[1 + i % array_length($2::text[], 1)],
              timestamptz '2024-06-01' + (i || ' minutes')::interval
         FROM generate_series(1, $1::int * 5 / 2) AS i`,
      [customers, STREETS],
    );
    await client.query(
      `INSERT INTO sessions (id, customer_id, token)
       SELECT md5('session' || i), i, md5('token' || i) FROM generate_series(1, $1::int) AS i`,
      [customers],
    );
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

-- refork's own corpus schema (MIT, part of this repository; not taken from any project).
-- It holds what none of the packaged schemas of the corpus has, each over personal data:
-- citext, a virtual and a stored generated column, search vectors that triggers keep from
-- personal columns (a plpgsql function and the built-in tsvector_update_trigger), a materialized
-- view and a view of personal data, and row-level security on a partitioned table. The search
-- vectors are the issue's derived copies: masking that leaves them as they were leaks
-- production's words, and the corpus counts every one.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE SCHEMA crm;

CREATE DOMAIN crm.phone AS text CHECK (VALUE ~ '^\+?[0-9 ()-]{6,24}$');

CREATE TYPE crm.tier AS ENUM ('free', 'plus', 'pro');

CREATE TABLE crm.member (
  id uuid PRIMARY KEY DEFAULT uuidv7(),
  email citext NOT NULL UNIQUE,
  first_name text NOT NULL,
  last_name text NOT NULL,
  full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) VIRTUAL,
  email_domain text GENERATED ALWAYS AS (split_part(email::text, '@', 2)) STORED,
  phone crm.phone,
  nicknames text[],
  tier crm.tier NOT NULL DEFAULT 'free',
  portrait bytea,
  last_ip inet,
  referred_by uuid REFERENCES crm.member (id) ON DELETE SET NULL,
  bio text,
  search tsvector,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION crm.member_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := to_tsvector('english', coalesce(NEW.first_name, '') || ' ' || coalesce(NEW.last_name, '') || ' ' || coalesce(NEW.bio, ''));
  RETURN NEW;
END $$;

CREATE TRIGGER member_search BEFORE INSERT OR UPDATE ON crm.member
  FOR EACH ROW EXECUTE FUNCTION crm.member_search();

CREATE INDEX member_search_idx ON crm.member USING gin (search);
CREATE INDEX member_name_idx ON crm.member (last_name, first_name);

CREATE TABLE crm.note (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id uuid NOT NULL REFERENCES crm.member (id) ON DELETE CASCADE,
  body text NOT NULL,
  search tsvector,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER note_search BEFORE INSERT OR UPDATE ON crm.note
  FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(search, 'pg_catalog.english', body);

CREATE TABLE crm.sign_in (
  member_id uuid NOT NULL REFERENCES crm.member (id) ON DELETE CASCADE,
  signed_in_at timestamptz NOT NULL,
  ip inet NOT NULL,
  user_agent text,
  PRIMARY KEY (member_id, signed_in_at)
) PARTITION BY RANGE (signed_in_at);

CREATE TABLE crm.sign_in_2025 PARTITION OF crm.sign_in FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE crm.sign_in_2026 PARTITION OF crm.sign_in FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

ALTER TABLE crm.sign_in ENABLE ROW LEVEL SECURITY;
CREATE POLICY sign_in_own ON crm.sign_in USING (member_id::text = current_setting('crm.member_id', true));

CREATE MATERIALIZED VIEW crm.member_directory AS
  SELECT id, full_name, email, phone FROM crm.member WHERE tier <> 'free';

CREATE VIEW crm.recent_sign_in AS
  SELECT m.email, s.ip, s.signed_in_at FROM crm.sign_in s JOIN crm.member m ON m.id = s.member_id;

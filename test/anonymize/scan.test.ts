// `refork scan` on the shapes real schemas have (issue 14): uuid and integer keys, a district and
// a bytea picture, lookup tables with a `name`, tax ids, zip codes and states next to an address,
// device fingerprints, json payloads copying customer data, NOT NULL columns of every type. What
// it proposes must be taken as it is by a user: every rule runs on its column.
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymizeDatabase, parseRules, planAnonymization, scanForPii, type ScanReport } from '../../src/anonymize/index.js';
import { classifyColumn } from '../../src/anonymize/classify.js';
import { detectPii } from '../../src/anonymize/detect.js';
import { createFixture, newKey, newRunId, type Fixture } from './fixture.js';

let fixture: Fixture;
let report: ScanReport;
const key = newKey();

beforeAll(async () => {
  fixture = await createFixture(`
    CREATE TABLE organizations (id uuid PRIMARY KEY, name text NOT NULL, legal_name text, tax_identification_number text,
      address_line1 text, city text, state text, zipcode text);
    CREATE TABLE category (category_id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE language (language_id int PRIMARY KEY, name char(20) NOT NULL);
    CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, district text NOT NULL, postal_code text, phone text NOT NULL);
    CREATE TABLE jobs (id int PRIMARY KEY, state text NOT NULL);
    CREATE TABLE city (city_id int PRIMARY KEY, city text NOT NULL);
    CREATE TABLE person_phone (person_id int, phone_number text, PRIMARY KEY (person_id, phone_number));
    CREATE TABLE articles (id int PRIMARY KEY, author text, search tsvector);
    CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE ON articles
      FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(search, 'pg_catalog.simple', author);
    CREATE TABLE documents (id int PRIMARY KEY, body text, vector tsvector NOT NULL DEFAULT '');
    INSERT INTO documents SELECT i, 'minutes ' || i, to_tsvector('simple', 'minutes ' || i) FROM generate_series(1, 9) i;
    CREATE TABLE entity_to_contact (entity_id int, contact_class_id int, contact text, PRIMARY KEY (entity_id, contact_class_id, contact));
    INSERT INTO entity_to_contact SELECT i, 1, 'e' || i || '@gmail.com' FROM generate_series(1, 9) i;
    CREATE TABLE media_assets (id int PRIMARY KEY, pixel_hash uuid NOT NULL);
    CREATE TABLE employee_pay_history (employee_id int PRIMARY KEY, rate numeric NOT NULL CHECK (rate BETWEEN 6.50 AND 200.00),
      birth_date date NOT NULL CHECK (birth_date BETWEEN '1930-01-01' AND '2010-01-01'), changed_at date);
    INSERT INTO employee_pay_history VALUES (1, 6.50, '1930-02-01', NULL), (2, 199.99, '2009-12-01', NULL);
    CREATE TABLE payment (id int PRIMARY KEY, amount numeric, invoice_display_name text, error_message text,
      provider_session_id text, variation_digest text, adjusted_amount boolean);
    CREATE TABLE customers (
      id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations, address_id int NOT NULL REFERENCES address,
      email text NOT NULL, gender char(1) NOT NULL CHECK (gender IN ('M', 'F')), birth_date date NOT NULL,
      emails text[] NOT NULL, metadata jsonb NOT NULL, password_digest text NOT NULL, session_id uuid NOT NULL,
      national_id varchar(10) NOT NULL UNIQUE, last_ip inet NOT NULL);
    CREATE TABLE staff (staff_id int PRIMARY KEY, picture bytea);
    CREATE TABLE user_devices (id uuid PRIMARY KEY, fingerprint varchar NOT NULL, browser varchar);
    CREATE TABLE webhooks (id uuid PRIMARY KEY, event text NOT NULL, payload jsonb NOT NULL);
    INSERT INTO organizations SELECT gen_random_uuid(), 'Org ' || i, 'Org ' || i || ' Ltd', 'DE' || (100000000 + i), i || ' Main St', 'Lyon', 'Rhône', '6900' || i
      FROM generate_series(1, 9) i;
    INSERT INTO category SELECT i, 'Category ' || i FROM generate_series(1, 9) i;
    INSERT INTO language SELECT i, 'Language ' || i FROM generate_series(1, 9) i;
    INSERT INTO address (address, district, postal_code, phone) SELECT i || ' Elm St', 'District ' || i, '1000' || i, '+33 6 12 34 56 7' || i
      FROM generate_series(1, 9) i;
    INSERT INTO jobs SELECT i, 'queued' FROM generate_series(1, 9) i;
    INSERT INTO customers SELECT gen_random_uuid(), (SELECT id FROM organizations LIMIT 1), 1, 'c' || i || '@gmail.com', 'F', '1980-01-01',
      ARRAY['c' || i || '@gmail.com'], jsonb_build_object('plan', 'pro'), 'x', gen_random_uuid(), 'N' || i, ('81.2.3.' || i)::inet
      FROM generate_series(1, 9) i;
    INSERT INTO staff SELECT i, '\\x89504e47'::bytea FROM generate_series(1, 9) i;
    INSERT INTO user_devices SELECT gen_random_uuid(), md5(i::text), 'Firefox' FROM generate_series(1, 9) i;
    INSERT INTO webhooks SELECT gen_random_uuid(), 'customer.created',
      jsonb_build_object('customer', jsonb_build_object('email', 'c' || i || '@gmail.com', 'phone', '+33 6 12 34 56 7' || i))
      FROM generate_series(1, 9) i;
  `);
  report = await scanForPii(fixture.connect);
});
afterAll(async () => {
  await fixture.drop();
});

const column = (name: string) => {
  const found = report.columns.find((c) => `${c.table}.${c.column}` === name);
  if (!found) throw new Error(`scan did not report ${name}`);
  return found.suggestion;
};

describe('refork scan on real-world shapes', () => {
  it('does not take keys for personal data: an integer address_id, a uuid organization_id', () => {
    expect(column('public.customers.address_id')).toMatchObject({ yaml: 'safe', pii: false });
    expect(column('public.customers.organization_id')).toMatchObject({ yaml: 'safe', pii: false });
  });

  it('does not take the name of a category or a language for a person name', () => {
    expect(column('public.category.name').pii).toBe(false);
    expect(column('public.language.name').pii).toBe(false);
    expect(column('public.organizations.name').pii).toBe(false);
  });

  it('finds a district, a bytea picture, tax ids, zip codes and states next to an address, fingerprints, payloads', () => {
    for (const name of [
      'public.address.address',
      'public.address.district',
      'public.employee_pay_history.rate',
      'public.address.postal_code',
      'public.staff.picture',
      'public.organizations.tax_identification_number',
      'public.organizations.legal_name',
      'public.organizations.zipcode',
      'public.organizations.state',
      'public.user_devices.fingerprint',
      'public.user_devices.browser',
      'public.webhooks.payload',
      'public.customers.last_ip',
      'public.customers.session_id',
    ]) {
      expect([name, column(name).pii]).toEqual([name, true]);
    }
  });

  it('leaves a `state` that is a status alone, a reference list of cities, an image hash, billing labels and errors', () => {
    expect(column('public.jobs.state').pii).toBe(false);
    expect(column('public.city.city').pii).toBe(false);
    expect(column('public.media_assets.pixel_hash').pii).toBe(false);
    for (const name of ['amount', 'invoice_display_name', 'error_message', 'provider_session_id', 'variation_digest', 'adjusted_amount']) {
      expect([name, column(`public.payment.${name}`).pii]).toEqual([name, false]);
    }
  });

  it('leaves a search vector a trigger keeps to it, and empties one nothing in the database recomputes', () => {
    expect(column('public.articles.search')).toMatchObject({ yaml: 'safe', pii: false });
    expect(column('public.documents.vector')).toMatchObject({ yaml: '{ strategy: constant, value: "" }', pii: false });
  });

  it('finds a phone number that is part of a primary key, and masks it without collisions', () => {
    expect(column('public.person_phone.phone_number')).toMatchObject({ yaml: 'hash', pii: true });
    // Found by its values, key or not (LedgerSMB's contacts: a phone, an email, a handle per contact class).
    expect(column('public.entity_to_contact.contact').pii).toBe(true);
  });

  it('proposes no placeholder: a NOT NULL column gets a value its type and checks accept, or no rule at all', () => {
    expect(report.suggestedRules).not.toMatch(/REPLACE ME/);
    expect(column('public.customers.gender').yaml).toBe('{ strategy: constant, value: "M" }');
    expect(column('public.customers.emails').yaml).toBe('{ strategy: constant, value: "{}" }');
    expect(column('public.customers.metadata').yaml).toBe('safe');
    expect(column('public.customers.session_id').yaml).toBe('hash');
    expect(column('public.customers.birth_date').yaml).toBe('{ strategy: shift, days: 180 }');
    // Noise or a shift would take some rows out of their CHECK's range: a constant inside it instead.
    expect(column('public.employee_pay_history.rate').yaml).toBe('{ strategy: constant, value: "6.50" }');
    expect(column('public.employee_pay_history.birth_date').yaml).toBe('{ strategy: constant, value: "1930-01-01" }');
    // A unique varchar(10): no strategy keeps it distinct, so it is left for a human, commented out.
    expect(column('public.customers.national_id')).toMatchObject({ yaml: '', pii: true });
    expect(report.suggestedRules).toMatch(/# "national_id": .*write its rule/);
  });

  it('proposes rules that run as they are: plan finds no broken rule, only the column left to write, and masking succeeds', async () => {
    const rules = parseRules((parseYaml(report.suggestedRules) as { anonymize: unknown }).anonymize, 'anonymize');
    const plan = await planAnonymization({ connect: fixture.connect, rules });
    expect(plan.problems.filter((problem) => !/unclassified/.test(problem))).toEqual([]);
    expect(plan.uncovered).toEqual([{ table: 'public.customers', columns: ['national_id'] }]);
    await expect(anonymizeDatabase({ connect: fixture.connect, rules, runId: newRunId(), key })).resolves.toBeDefined();
  });
});

describe('value detectors', () => {
  it('see no phone number, card or SSN inside a uuid, however its digits fall', () => {
    const uuids = ['01928374-5610-7123-8def-123456789012', '12345678-1234-7123-9123-123456789012', '0192a1b2-555-1234-5678'];
    for (const uuid of uuids) expect([uuid, [...detectPii(uuid)]]).toEqual([uuid, []]);
  });

  it('see no card in a Rails migration version that passes Luhn, and no person in a documentation or loopback IP', () => {
    expect([...detectPii("INSERT INTO schema_migrations (version) VALUES ('20230412191008')")]).toEqual([]);
    expect([...detectPii('192.0.2.1 198.51.100.7 203.0.113.9 127.0.0.1')]).toEqual([]);
    // The fraction of a noised amount in pg_stats: 4532015112830366 after a decimal point is no card.
    expect([...detectPii('{91234.4532015112830366,5.25}')]).toEqual([]);
    expect([...detectPii('81.2.69.160')]).toEqual(['ipv4']);
  });

  it('still see a phone number, a card and an SSN standing alone', () => {
    expect([...detectPii('call +33 6 12 34 56 78 today')]).toContain('phone');
    expect([...detectPii('card 4111 1111 1111 1111')]).toContain('card');
    expect([...detectPii('ssn 078-05-1120')]).toContain('ssn');
  });
});

/** classifyColumn on a column of `type` (text unless said) named `name` in `table`, beside `siblings`. */
function personal(
  table: string,
  name: string,
  options: { type?: string; category?: string; siblings?: string[]; references?: string[] } = {},
): boolean {
  const baseType = options.type ?? 'text';
  const category = options.category ?? (['int4', 'int8'].includes(baseType) ? 'N' : baseType === 'timestamptz' ? 'D' : 'S');
  const column = { name, baseType, category, notNull: false, unique: false, primaryKey: false, generated: false };
  const context = { table, siblings: [name, ...(options.siblings ?? [])], foreignKey: false, references: options.references ?? [] };
  return classifyColumn(column, context).personal !== undefined;
}

// Names from the packaged schemas of the corpus (Logto, pg-boss, Request Tracker, MediaWiki,
// Roundcube, LedgerSMB, Zabbix) that the scan read wrongly before: each pair is what it must now say.
describe('the classifier on the corpus schemas', () => {
  it('finds personal columns their names give away once read with their table', () => {
    for (const [table, name, siblings] of [
      ['passcodes', 'code', []],
      ['secrets', 'ciphertext', []],
      ['secrets', 'encrypted_dek', []],
      ['user_sso_identities', 'identity_id', []],
      ['trusted_devices', 'country', ['ip', 'city']],
      ['users', 'country', ['address1', 'city']],
      ['users', 'signature', []],
      ['users', 'freeformcontactinfo', []],
      ['users', 'organization', []],
      ['users', 'gecos', []],
      ['users', 'smimecertificate', []],
      ['attachments', 'subject', []],
      ['attachments', 'filename', []],
      ['attachments', 'headers', []],
      ['tickets', 'subject', []],
      ['sessions', 'a_session', []],
      ['session', 'vars', []],
      ['actor', 'actor_name', []],
      ['contacts', 'words', []],
      ['collected_addresses', 'name', ['email']],
      ['identities', 'name', ['email']],
      ['identities', 'reply-to', []],
      ['identities', 'bcc', []],
      ['member', 'nicknames', []],
      ['person', 'personal_id', []],
      ['location', 'line_one', ['city']],
      ['location', 'mail_code', ['city']],
      ['entity_credit_account', 'pay_to_name', []],
      ['entity_note', 'created_by', []],
      ['user_sign_in_countries', 'country', ['user_id']],
      ['sentinel_activities', 'target_hash', []],
      ['transactions', 'oldvalue', []],
      ['transactions', 'newvalue', []],
      ['user_properties', 'up_value', []],
      ['wp_usermeta', 'meta_value', []],
      ['ipblocks', 'ipb_range_start', []],
      ['ip_changes', 'ipc_hex', []],
      ['objectcache', 'value', []],
      ['cache_messages', 'data', []],
      ['entity', 'name', []],
      ['entity_other_name', 'other_name', []],
      ['interface_snmp', 'authpassphrase', []],
      ['interface_snmp', 'community', []],
      ['dchecks', 'snmp_community', []],
      ['hosts', 'tls_psk', []],
      ['config', 'session_key', []],
      ['media', 'sendto', []],
      ['host_inventory', 'poc_1_cell', []],
      ['host_inventory', 'poc_2_name', []],
      ['host_inventory', 'contact', []],
      ['auditlog', 'details', []],
      ['host_inventory', 'installer_name', []],
      ['host_inventory', 'poc_1_screen', []],
      ['history_log', 'value', ['timestamp', 'source', 'severity', 'logeventid']],
      ['proxy_history', 'value', ['timestamp', 'source', 'severity']],
    ] as const) {
      expect([table, name, personal(table, name, { siblings: [...siblings] })]).toEqual([table, name, true]);
    }
  });

  it('leaves settings, counts, lifetimes, mail domains, system warnings and names of things that are not people', () => {
    for (const [table, name, type] of [
      ['cimd_grant_client_snapshots', 'name', 'text'],
      ['custom_profile_fields', 'name', 'text'],
      ['personal_access_tokens', 'name', 'text'],
      ['daily_token_usage', 'user_token_usage', 'int8'],
      ['resources', 'access_token_ttl', 'int8'],
      ['job', 'job_token_timestamp', 'timestamptz'],
      ['organization_jit_email_domains', 'email_domain', 'text'],
      ['sign_in_experiences', 'password_policy', 'jsonb'],
      ['sign_in_experiences', 'forgot_password_methods', 'jsonb'],
      ['sign_in_experiences', 'password_expiration', 'jsonb'],
      ['warning', 'message', 'text'],
      ['content', 'content_address', 'text'],
      ['saml_application_secrets', 'certificate', 'text'],
      ['country_tax_form', 'country', 'text'],
      ['system', 'value', 'text'],
      ['l10n_cache', 'lc_value', 'text'],
      ['recipes', 'range_start', 'int4'],
      ['forums', 'community', 'text'],
      ['hosts', 'tls_psk_identity', 'text'],
      ['products', 'details', 'text'],
      ['logto_configs', 'value', 'jsonb'],
      ['media_assets', 'content_hash', 'text'],
      ['batch', 'created_by', 'int4'],
      ['report', 'line_one', 'text'],
      ['sysmaps', 'label_location', 'int4'],
      ['settings', 'new_value', 'text'],
      ['interface', 'ip', 'text'],
      ['ha_node', 'address', 'text'],
      ['autoreg_host', 'listen_ip', 'text'],
      ['host_inventory', 'oob_ip', 'text'],
      ['interface', 'ip', 'inet'],
      ['history_str', 'value', 'text'],
      ['sysmaps', 'screen', 'text'],
    ] as const) {
      expect([table, name, personal(table, name, { type })]).toEqual([table, name, false]);
    }
  });

  it('reads the subject, content and file name of notes and files about a person as theirs, and of those about an invoice as the business’s', () => {
    expect(personal('entity_note', 'subject', { references: ['entity'] })).toBe(true);
    expect(personal('eca_note', 'subject', { references: ['entity_credit_account'] })).toBe(true);
    expect(personal('file_eca', 'file_name', { references: ['entity_credit_account'] })).toBe(true);
    expect(personal('file_entity', 'content', { references: ['entity'], type: 'bytea', category: 'U' })).toBe(true);
    expect(personal('invoice_note', 'subject', { references: ['invoice'] })).toBe(false);
    expect(personal('file_part', 'file_name', { references: ['parts'] })).toBe(false);
    expect(personal('file_part', 'content', { references: ['parts'], type: 'bytea', category: 'U' })).toBe(false);
  });

  it('reads an address beside a port or a DNS name as an endpoint, a machine’s, and one beside a person as theirs', () => {
    const endpoint = { siblings: ['port', 'dns'] };
    expect(personal('proxy_dhistory', 'ip', endpoint)).toBe(false);
    expect(personal('proxy_dhistory', 'ip', { ...endpoint, type: 'inet', category: 'I' })).toBe(false);
    expect(personal('auditlog', 'ip', { siblings: ['userid', 'username'] })).toBe(true);
    expect(personal('auditlog', 'ip', { siblings: ['userid'], type: 'inet', category: 'I' })).toBe(true);
    expect(personal('users', 'last_location', {})).toBe(true);
    expect(personal('users', 'location', {})).toBe(true);
  });
});

describe('refork scan on foreign keys that copy personal values', () => {
  let cascade: Fixture;
  let strict: Fixture;
  beforeAll(async () => {
    const identities = `
      CREATE TABLE user_sso_identities (issuer text, identity_id text, PRIMARY KEY (issuer, identity_id));
      INSERT INTO user_sso_identities SELECT 'https://idp.example', 'sub-' || i FROM generate_series(1, 9) i;`;
    // Logto's secret_enterprise_sso_connector_relations: the identity id again, kept in step by ON UPDATE CASCADE.
    cascade = await createFixture(`${identities}
      CREATE TABLE sso_tokens (id int PRIMARY KEY, issuer text, identity_id text,
        FOREIGN KEY (issuer, identity_id) REFERENCES user_sso_identities ON UPDATE CASCADE);
      INSERT INTO sso_tokens SELECT i, 'https://idp.example', 'sub-' || i FROM generate_series(1, 9) i;
      ANALYZE;`);
    strict = await createFixture(`${identities}
      CREATE TABLE sso_grants (id int PRIMARY KEY, issuer text, identity_id text, FOREIGN KEY (issuer, identity_id) REFERENCES user_sso_identities);`);
  });
  afterAll(async () => {
    await Promise.all([cascade.drop(), strict.drop()]);
  });

  it('calls the copy personal; with ON UPDATE CASCADE it needs no rule, and after masking it and its statistics hold the masked values', async () => {
    const scanned = await scanForPii(cascade.connect);
    const copy = scanned.columns.find((c) => `${c.table}.${c.column}` === 'public.sso_tokens.identity_id')?.suggestion;
    expect(copy).toMatchObject({ yaml: 'safe', pii: true });
    expect(copy?.reason).toMatch(/public\.user_sso_identities\.identity_id.*ON UPDATE CASCADE/);
    const rules = parseRules((parseYaml(scanned.suggestedRules) as { anonymize: unknown }).anonymize, 'anonymize');
    await anonymizeDatabase({ connect: cascade.connect, rules, runId: newRunId(), key });
    expect(
      await cascade.query(
        `SELECT count(*)::int AS n FROM sso_tokens t JOIN user_sso_identities u USING (issuer, identity_id) WHERE identity_id LIKE 'sub-%'`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await cascade.query(`SELECT count(*)::int AS n FROM sso_tokens t JOIN user_sso_identities u USING (issuer, identity_id)`),
    ).toEqual([{ n: 9 }]);
    // Its statistics were taken again in the masking transaction: they no longer show the originals.
    const stats = await cascade.query<{ text: string }>(
      `SELECT concat_ws(' ', most_common_vals::text, histogram_bounds::text) AS text FROM pg_stats WHERE tablename = 'sso_tokens' AND attname = 'identity_id'`,
    );
    expect(stats.length).toBe(1);
    expect(stats[0]?.text).not.toMatch(/sub-/);
  });

  it('without ON UPDATE CASCADE proposes no rule for the copy, so plan names it instead of a run breaking the key', async () => {
    const scanned = await scanForPii(strict.connect);
    const copy = scanned.columns.find((c) => `${c.table}.${c.column}` === 'public.sso_grants.identity_id')?.suggestion;
    expect(copy).toMatchObject({ yaml: '', pii: true });
    const rules = parseRules((parseYaml(scanned.suggestedRules) as { anonymize: unknown }).anonymize, 'anonymize');
    const plan = await planAnonymization({ connect: strict.connect, rules });
    expect(plan.uncovered).toEqual([{ table: 'public.sso_grants', columns: ['identity_id'] }]);
  });
});

describe('refork scan on notes and files', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await createFixture(`
      CREATE TABLE entity (id int PRIMARY KEY);
      CREATE TABLE invoice (id int PRIMARY KEY);
      CREATE TABLE entity_note (id int PRIMARY KEY, ref_key int REFERENCES entity, subject text);
      CREATE TABLE invoice_note (id int PRIMARY KEY, ref_key int REFERENCES invoice, created_by int REFERENCES entity, subject text);
      CREATE TABLE file_base (id int PRIMARY KEY, uploaded_by int REFERENCES entity, file_name text);`);
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it('calls personal what is written about the person a row refers to, not what a person wrote about something else', async () => {
    const scanned = await scanForPii(fixture.connect);
    const personalOf = (name: string) => scanned.columns.find((c) => `${c.table}.${c.column}` === name)?.suggestion.pii;
    expect({
      entity: personalOf('public.entity_note.subject'),
      invoice: personalOf('public.invoice_note.subject'),
      upload: personalOf('public.file_base.file_name'),
    }).toEqual({ entity: true, invoice: false, upload: false });
  });
});

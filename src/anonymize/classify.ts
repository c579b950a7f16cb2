// Guesses what a column holds from its name, its type and its table, to propose rules for
// columns nobody classified yet. Only a proposal: a human reviews the patch before it goes into
// refork.yml. Names are matched on word boundaries (`_`, start, end), and only where the type
// can hold the thing: an integer `address_id` is a key, not an address; a `name` is a person's
// name only in a table of people; a `state` is a place only next to an address.
import type { ColumnInfo } from './catalog.js';
import type { FakeKind } from './rules.js';

/** What a personal column holds, which decides the strategy proposed for it. */
export type PersonalKind =
  | { kind: 'email' }
  | { kind: 'fake'; fake: FakeKind }
  | { kind: 'username' }
  | { kind: 'credential' }
  | { kind: 'identifier' }
  | { kind: 'birth_date' }
  | { kind: 'attribute' }
  | { kind: 'location' }
  | { kind: 'device' }
  | { kind: 'free_text' }
  | { kind: 'document' };

export interface Suggestion {
  /** The YAML value to write for the column (`email`, `hash`, `null`, `safe`, `{ strategy: fake, kind: city }`…). */
  yaml: string;
  /** Why, shown as a YAML comment. */
  reason: string;
  /** True when the name, type or values look like personal data. */
  pii: boolean;
}

export interface Classification {
  personal?: PersonalKind;
  reason: string;
}

/** What the classifier may know about the column's surroundings. */
export interface ColumnContext {
  /** The table's own name (without schema). */
  table: string;
  /** Names of the table's other columns. */
  siblings: readonly string[];
  /** Part of a foreign key: a reference to a row, whatever it is called. */
  foreignKey: boolean;
  /** Names (without schema) of the tables the table's foreign keys refer to, when known. */
  references?: readonly string[];
}

type Column = Pick<ColumnInfo, 'name' | 'baseType' | 'category' | 'notNull' | 'unique' | 'primaryKey' | 'generated'>;

interface NameRule {
  pattern: RegExp;
  personal: PersonalKind;
  reason: string;
  /** Only when the table (or the column's neighbours) make it personal. */
  when?: (context: ColumnContext, name: string) => boolean;
}

// The table's last word says what a row is: `user_profiles` holds people, `personal_access_tokens`
// and `client_snapshots` do not. In the party model (LedgerSMB's entity) a row is a person or an
// organisation.
const PEOPLE_TABLE =
  /(^|_)(users?|customers?|clients?|persons?|people|employees?|staff|contacts?|members?|actors?|artists?|authors?|patients?|students?|teachers?|owners?|profiles?|recipients?|drivers?|accounts?|reviewers?|candidates?|guests?|subscribers?|applicants?|contributors?|passengers?|leads?|admins?|composers?|identities|entity|entities|party|parties)$/;
const EMAIL_SIBLING = /^(e_?mail|email_?address)$/;
const ADDRESS_SIBLING = /address|street|(^|_)city$|(^|_)zip|postal|postcode/;
const MESSAGE_TABLE = /message|dmail|(^|_)mails?($|_)|chat|conversation|inbox|sms|feedback|(^|_)(tickets?|attachments?)$/;
const SESSION_TABLE = /(^|_)sessions?$/;
const SECRET_TABLE = /api_?keys?|tokens?|secrets?|credentials?|(^|_)(pass_?)?codes?($|_)/;
const SYSTEM_MESSAGE_TABLE = /(^|_)(warnings?|errors?|exceptions?|failures?)$/;

/** The last word of a table's name, singular: `user_accounts` → `account`, `actor` → `actor`. */
const headNoun = (table: string) =>
  table
    .toLowerCase()
    .replace(/^.*_/, '')
    .replace(/ies$/, 'y')
    .replace(/(ss|[^s])s$/, '$1');
const inPeopleTable = (context: ColumnContext) => PEOPLE_TABLE.test(context.table.toLowerCase());
const nearAnAddress = (context: ColumnContext) => context.siblings.some((name) => ADDRESS_SIBLING.test(name.toLowerCase()));
// An address is a machine's, not a person's, in a table whose rows are machines (Zabbix's
// interface, ha_node, autoreg_host), when the column names a machine's own address (listen_ip,
// oob_ip), or beside a port or a DNS name: an endpoint something connects to (a discovered
// service). A person's address is where they came from; nothing connects back to it.
const MACHINE_TABLE = /(^|_)(hosts?|interfaces?|servers?|nodes?|routers?|switches|d?services|proxies|proxy)$/;
const MACHINE_ADDRESS = /^(listen|bind|server|host|oob|proxy|router|gateway|node)_?(ip|address)$/;
const ENDPOINT_SIBLING = /(^|_)(port|dns)$/;
const ofAMachine = (context: ColumnContext, name: string) =>
  MACHINE_TABLE.test(context.table.toLowerCase()) ||
  MACHINE_ADDRESS.test(name) ||
  context.siblings.some((sibling) => ENDPOINT_SIBLING.test(sibling.toLowerCase()));
const aLogLine = (context: ColumnContext) => {
  const siblings = new Set(context.siblings.map((name) => name.toLowerCase()));
  return (
    siblings.has('logeventid') || siblings.has('log_event_id') || ['source', 'severity', 'timestamp'].every((name) => siblings.has(name))
  );
};
// Notes and files kept about a person: a table of notes or files whose rows refer to a table of
// people (LedgerSMB's entity_note, file_eca → entity_credit_account). Those about an invoice or a
// budget are the business's own.
const ATTACHED_TABLE = /(^|_)(notes?|files?|attachments?|documents?)(_|$)/;
const attachedToAPerson = (context: ColumnContext) =>
  ATTACHED_TABLE.test(context.table.toLowerCase()) && (context.references ?? []).some((table) => PEOPLE_TABLE.test(table.toLowerCase()));
const IP_TABLE = /^ip(s|_|blocks?$|changes$|bans?$)/;
const CACHE_TABLE = /^(object_?)?cache($|_)/;
const PERSON_ATTRIBUTES_TABLE =
  /(user|member|customer|account|person|profile)s?_?(properties|preferences|prefs|settings|attributes|meta|metadata|fields)$/;
const PERSON_REFERENCE = /^(user|customer|member|person|account|employee|client)_?id$/;
/** A row about one person: it refers to them (`user_sign_in_countries.user_id`). */
const aboutAPerson = (context: ColumnContext) => context.siblings.some((name) => PERSON_REFERENCE.test(name.toLowerCase()));
// A name beside an email address names the address's owner (contacts, identities, collected addresses).
const besideAnEmail = (context: ColumnContext) => context.siblings.some((name) => EMAIL_SIBLING.test(name.toLowerCase()));

// Ordered: the first match wins. Tested against the lower-cased column name.
const NAME_RULES: NameRule[] = [
  {
    pattern:
      /password|passwd|secret|(^|_)otp($|_)|otp_?(code|secret)|(^|_)salt$|passwordsalt|token|api_?key|hmac_?key|private_?key|public_?key|access_?key|credential|backup_?codes|auth_?code|authorization_?code|code_verifier|session_data|challenge_data|passwordhash|password_?hash|cipher_?text|(^|_)encrypted_|(^|_)dek$|passphrase|(^|_)psk$|snmp_?community|session_?key/,
    personal: { kind: 'credential' },
    reason: 'looks like a credential or secret',
  },
  {
    pattern: /(^|_)(key|value|code)$/,
    personal: { kind: 'credential' },
    reason: 'a key or code in a table of keys, tokens or credentials',
    when: (context) => SECRET_TABLE.test(context.table.toLowerCase()),
  },
  { pattern: /^((user|login|browser)_)?session_?id$/, personal: { kind: 'credential' }, reason: 'looks like a session identifier' },
  {
    pattern: /^(a_)?session$|^(vars|data|session_?data|payload)$/,
    personal: { kind: 'credential' },
    reason: "a session's data: who is signed in, with what",
    when: (context) => SESSION_TABLE.test(context.table.toLowerCase()),
  },
  {
    pattern: /(^|_)(identity|subject|sso|social|oauth|openid)_?(id|uid)$/,
    personal: { kind: 'username' },
    reason: "the person's account at an identity provider",
  },
  {
    pattern: /^community$/,
    personal: { kind: 'credential' },
    reason: 'an SNMP community, a shared password',
    when: (context) => /snmp/.test(context.table.toLowerCase()) || context.siblings.some((name) => /passphrase/.test(name.toLowerCase())),
  },
  { pattern: /e_?mail|(^|[_-])(reply[_-]?to|bcc|cc|send_?to)$/, personal: { kind: 'email' }, reason: 'looks like an email address' },
  {
    pattern: /phone|mobile|(^|_)tel($|_)|(^|_)fax$|msisdn|(^|_)cell(_?phone)?$/,
    personal: { kind: 'fake', fake: 'phone' },
    reason: 'looks like a phone number',
  },
  {
    pattern: /(^|_)(first_?name|given_?name|fname|forename|middle_?name)$/,
    personal: { kind: 'fake', fake: 'first_name' },
    reason: 'looks like a first name',
  },
  {
    pattern: /(^|_)(last_?name|family_?name|surname|lname|maiden_?name)$/,
    personal: { kind: 'fake', fake: 'last_name' },
    reason: 'looks like a last name',
  },
  {
    pattern:
      /(^|_)(full|contact|reviewer|customer|person|recipient|sender|owner|original|desired|real|maiden|account_?holder|card_?holder|billing|shipping|pay_?to|payee|poc_?\d*|installer|assignee|requester|reporter|technician)_?name$|(^|_)(reviewername|fullname|composer|author|other_?names?|also_?known_?as|aka)$/,
    personal: { kind: 'fake', fake: 'full_name' },
    reason: 'looks like a person name',
  },
  {
    pattern: /(^|_)(user_?name|login|login_?id|loginid|nick_?names?|handle|screen_?name|gecos)$|(^|_)(poc|contact)_?\d*_screen$/,
    personal: { kind: 'username' },
    reason: 'looks like a user name',
  },
  {
    // Text only (the type check below): an integer `created_by` is a key to a user.
    pattern: /^(created|updated|modified|changed|entered|approved|deleted|posted)_?by$/,
    personal: { kind: 'username' },
    reason: 'the login of who did it',
  },
  {
    pattern: /(^|_)(ip|ip_?addr(ess)?|remote_?addr|last_?ip|current_?ip|.*_ip_addr(ess)?|permitted_ip_addresses)$|_ip$/,
    personal: { kind: 'device' },
    reason: 'looks like an IP address',
    when: (context, name) => !ofAMachine(context, name),
  },
  { pattern: /user_?agent|(^|_)browser$/, personal: { kind: 'device' }, reason: 'looks like a user agent' },
  {
    pattern: /fingerprint|device_?(id|token|name)|friendly_?name|(^|_)(udid|imei)$/,
    personal: { kind: 'device' },
    reason: 'looks like a device fingerprint or name',
  },
  {
    pattern: /(^|_)(zip|zip_?code|zipcode|postal_?code|postalcode|post_?code|mail_?code)$/,
    personal: { kind: 'fake', fake: 'zip' },
    reason: 'looks like a postal code',
  },
  {
    when: (context, name) => !ofAMachine(context, name),
    pattern:
      /street|^address(_?line_?\d*|\d)?$|addressline\d|addr_?line|(^|_)address_?\d$|(^|_)(home|work|billing|shipping|mailing|postal|delivery|business|office|residential|physical|invoice|main|primary|secondary|current|permanent|customer|user|contact|member|person|employee|personal|private)_?address$/,
    personal: { kind: 'fake', fake: 'street' },
    reason: 'looks like a postal address',
  },
  {
    pattern: /^line_?(one|two|three|four|\d)$/,
    personal: { kind: 'fake', fake: 'street' },
    reason: 'a line of a postal address',
    when: nearAnAddress,
  },
  { pattern: /(^|_)(city|town)$/, personal: { kind: 'fake', fake: 'city' }, reason: 'looks like a city' },
  {
    pattern: /(^|_)(district|state|province|county|region|state_?province|country)$/,
    personal: { kind: 'location' },
    reason: 'part of a postal address (district, state, region, country)',
    when: nearAnAddress,
  },
  {
    pattern: /(^|_)country$/,
    personal: { kind: 'location' },
    reason: 'where a person is or signed in from (a row about one person)',
    when: aboutAPerson,
  },
  {
    pattern:
      /tax_?id|tax_?identification|tax_?number|vat_?(number|id|no)|legal_?number|registration_?number|(^|_)(siret|siren|ein|company_?number)$/,
    personal: { kind: 'identifier' },
    reason: 'looks like a tax or legal identity number',
  },
  {
    pattern:
      /ssn|social_?security|national_?id|nationalidnumber|passport|id_?card|driver_?licen[cs]e|(^|_)nin$|^personal_?(id|number|code)$/,
    personal: { kind: 'identifier' },
    reason: 'looks like a national identity number',
  },
  {
    pattern:
      /card_?number|cardnumber|(^|_)pan$|(^|_)(cvv|cvc)$|iban|(^|_)(bic|swift)$|account_?number|accountnumber|routing_?number|bank_?account/,
    personal: { kind: 'identifier' },
    reason: 'looks like a payment or bank account number',
  },
  {
    pattern: /company|employer|legal_?name|business_?name/,
    personal: { kind: 'fake', fake: 'company' },
    reason: 'looks like a company name',
  },
  {
    pattern: /^organi[sz]ation$/,
    personal: { kind: 'fake', fake: 'company' },
    reason: "a person's employer, in a table of people",
    when: inPeopleTable,
  },
  { pattern: /birth|(^|_)dob$/, personal: { kind: 'birth_date' }, reason: 'looks like a birth date' },
  {
    pattern: /(^|_)(salary|salaries|wages?|pay_?rate|compensation|income|bonus)$/,
    personal: { kind: 'attribute' },
    reason: 'what a person earns',
  },
  {
    pattern: /(^|_)(rate|amount)$/,
    personal: { kind: 'attribute' },
    reason: 'what a person earns (a rate in a pay history)',
    when: (context) => /pay_?(history|roll|slip)|salar|wage|compensation/.test(context.table.toLowerCase()),
  },
  {
    pattern: /gender|(^|_)sex($|_)|marital|ethnicity|religion|nationality|sexual/,
    personal: { kind: 'attribute' },
    reason: 'a personal attribute',
  },
  {
    pattern:
      /latitude|longitude|(^|_)(lat|lng|lon)$|geo_?location|spatial_?location|spatiallocation|^location$|(^|_)(home|current|last|user|device)_?location$/,
    personal: { kind: 'location' },
    reason: 'looks like a location',
  },
  {
    pattern: /picture|photo|portrait|avatar|selfie|headshot|signature_?image/,
    personal: { kind: 'document' },
    reason: 'a picture of a person',
    when: (context) => !/product|item|catalog|inventory/.test(context.table.toLowerCase()),
  },
  {
    pattern:
      /^(?!.*(error|exception|failure|status))(.*_)?(notes?|comments?|message|remarks?|bio|biography|feedback|resume|cv|about_?me|review_?text|signature)$/,
    personal: { kind: 'free_text' },
    reason: 'free text written by or about a person',
    when: (context) => !SYSTEM_MESSAGE_TABLE.test(context.table.toLowerCase()),
  },
  {
    pattern: /(^|_)(body|title|subject|text|content|headers|file_?name)$/,
    personal: { kind: 'free_text' },
    reason: 'a private message',
    when: (context) => MESSAGE_TABLE.test(context.table.toLowerCase()),
  },
  {
    pattern: /(^|_)(subject|title|content|body|file_?name)$/,
    personal: { kind: 'free_text' },
    reason: 'a note or a file kept about a person (its table refers to one)',
    when: attachedToAPerson,
  },
  {
    pattern: /(^|_)(payload|raw_?payload|user_?meta_?data|raw_user_meta_data|identity_?data|personal_?data)$|contact_?info$/,
    personal: { kind: 'document' },
    reason: 'a document about a person (payload, metadata, contact details)',
  },
  {
    // MediaWiki's ipblocks and ip_changes keep addresses and range bounds as hex.
    pattern: /(^|_)(hex|range_start|range_end|address)$/,
    personal: { kind: 'device' },
    reason: 'an IP address or a bound of a range, in a table of IP addresses',
    when: (context) => IP_TABLE.test(context.table.toLowerCase()),
  },
  {
    // A log line collected from a system (an event id, or a source and severity beside its timestamp)
    // repeats whatever was logged: logins, user names, addresses (Zabbix's history_log).
    pattern: /^(value|message|line|text|log_?line)$/,
    personal: { kind: 'free_text' },
    reason: 'a collected log line: it repeats whatever was logged, user names and addresses included',
    when: (context) => aLogLine(context),
  },
  {
    // A cache keeps copies of what the application reads: sessions, messages, profiles.
    pattern: /^(value|data)$/,
    personal: { kind: 'document' },
    reason: 'a cached copy of application data (sessions, messages, profiles)',
    when: (context) => CACHE_TABLE.test(context.table.toLowerCase()),
  },
  {
    pattern: /^(details|changes|diff)$/,
    personal: { kind: 'free_text' },
    reason: 'what an audit log entry changed, old and new values',
    when: (context) => /audit/.test(context.table.toLowerCase()),
  },
  { pattern: /^contacts?$/, personal: { kind: 'free_text' }, reason: "a person's contact details" },
  {
    // An audit trail copies whatever changed: names, addresses, subjects (Request Tracker's transactions, PaperTrail's versions).
    pattern: /^(old|new|previous|prior)_?values?$|^object_?changes$/,
    personal: { kind: 'free_text' },
    reason: 'a copy of a changed value (an audit trail)',
    when: (context) => /audit|transactions?$|histor|versions?$|changes?$|(^|_)logs?$/.test(context.table.toLowerCase()),
  },
  {
    // Key-value attributes of a person (MediaWiki's user_properties, WordPress's usermeta): gender, signature, names.
    pattern: /(^|_)(value|meta_?value)$/,
    personal: { kind: 'free_text' },
    reason: "a value of a person's attribute, kept as key and value",
    when: (context) => PERSON_ATTRIBUTES_TABLE.test(context.table.toLowerCase()),
  },
  {
    pattern: /(^|_)(target|identifier|email|phone|user|ip|device)_?(hash|digest)$/,
    personal: { kind: 'identifier' },
    reason: "a digest of a person's identifier: the same person, pseudonymous",
  },
  { pattern: /smime|certificate$/, personal: { kind: 'document' }, reason: "a person's certificate", when: inPeopleTable },
  { pattern: /demographics|(^|_)survey$/, personal: { kind: 'document' }, reason: 'answers a person gave', when: inPeopleTable },
  {
    pattern: /^(words|keywords|search_?text)$/,
    personal: { kind: 'free_text' },
    reason: 'words kept to find a person by',
    when: inPeopleTable,
  },
  {
    pattern: /^(display_?|screen_?)?name$/,
    personal: { kind: 'fake', fake: 'full_name' },
    reason: 'a display name in a table of people, or beside an email address',
    when: (context) => inPeopleTable(context) || besideAnEmail(context),
  },
  {
    pattern: /^(other_?)?names?$/,
    personal: { kind: 'fake', fake: 'full_name' },
    reason: 'a name in a table of people',
    when: inPeopleTable,
  },
  {
    // `actor.actor_name`, `member.member_name`: the name of what a row of the table is.
    pattern: /^[a-z]+_name$/,
    personal: { kind: 'fake', fake: 'full_name' },
    reason: 'the name of the person a row of this table is',
    when: (context, name) => inPeopleTable(context) && name === `${headNoun(context.table)}_name`,
  },
];

/** A text-like, json, array or network column can hold words; a number, a date or a flag cannot be an address. */
function canHoldText(column: Column): boolean {
  return ['S', 'A', 'U', 'I'].includes(column.category) || ['json', 'jsonb', 'xml', 'bytea'].includes(column.baseType);
}

export function classifyColumn(column: Column, context: ColumnContext): Classification {
  const name = column.name.toLowerCase();
  if (column.generated) return { reason: 'generated: recomputed from the other columns' };
  // A key made of a phone number or an email is still personal; a numeric or uuid key is not.
  if (column.primaryKey && column.category !== 'S') return { reason: 'primary key' };
  if (context.foreignKey) return { reason: 'a reference to another row' };
  if (
    ['inet', 'cidr', 'macaddr', 'macaddr8'].includes(column.baseType) &&
    !/network|subnet|cidr|range|mask/.test(name) &&
    !ofAMachine(context, name)
  ) {
    return { personal: { kind: 'device' }, reason: `${column.baseType}: a network address of a person or device` };
  }
  if (column.baseType === 'bool' || column.category === 'E' || column.baseType === 'tsvector') {
    // A flag, a choice among labels, a search index: only attributes such as gender are personal.
    const rule = NAME_RULES.find(
      (candidate) => candidate.personal.kind === 'attribute' && candidate.pattern.test(name) && (candidate.when?.(context, name) ?? true),
    );
    return rule ? { personal: rule.personal, reason: rule.reason } : { reason: `nothing personal in a ${column.baseType}` };
  }
  // Timestamps of events and counts say what happened, not who it was.
  if (
    /(_at|_on|_count|_counter|_type|_status|_methods?|_enabled|_verified|_confirmed|_sent|_expires?|_expiration|_ttl|_usage|_length|_version|settings?|_polic(y|ies)|_optional|_url|_uri|_domains?)$/.test(
      name,
    )
  ) {
    return { reason: 'a timestamp, count, type, setting, lifetime or address of a service' };
  }
  const table = context.table.toLowerCase();
  const labelOfItsTable = table === name || table === `${name}s` || table === `${name}es` || table === `${name.replace(/y$/, '')}ies`;
  if (labelOfItsTable && /^(city|town|country|state|region|province|district|county|language|category)$/.test(name)) {
    return { reason: 'the label of a reference list (city.city, country.country)' };
  }
  const rule = NAME_RULES.find((candidate) => candidate.pattern.test(name) && (candidate.when?.(context, name) ?? true));
  if (!rule) return { reason: 'nothing personal in its name; review' };
  const typed =
    rule.personal.kind === 'birth_date' ||
    rule.personal.kind === 'credential' ||
    rule.personal.kind === 'identifier' ||
    rule.personal.kind === 'location' ||
    rule.personal.kind === 'attribute' ||
    rule.personal.kind === 'document';
  // A number named like a token is a count or a lifetime (`access_token_ttl`, `user_token_usage`).
  if (rule.personal.kind === 'credential' && !canHoldText(column)) {
    return { reason: `a ${column.baseType} cannot hold ${rule.reason.replace(/^looks like /, '')}` };
  }
  // An integer or uuid named like an address or a name is a key to one (`address_id`, `name_id`).
  if (!typed && !canHoldText(column)) return { reason: `a ${column.baseType} cannot hold ${rule.reason.replace(/^looks like /, '')}` };
  if (/(^|_)id$|ids$/.test(name) && (column.category === 'N' || column.baseType === 'uuid') && rule.personal.kind !== 'credential') {
    return { reason: 'an identifier' };
  }
  if (rule.personal.kind === 'birth_date' && column.category !== 'D' && column.category !== 'S') {
    return { reason: `a ${column.baseType} is not a date` };
  }
  return { personal: rule.personal, reason: rule.reason };
}

/**
 * For `refork plan`'s patch of uncovered columns, where no values are sampled: a first guess from
 * the name and type alone, never a rule that cannot run on the column's type.
 */
export function suggestForColumn(
  column: Pick<ColumnInfo, 'name' | 'baseType' | 'category' | 'notNull' | 'unique' | 'primaryKey'> & Partial<Pick<ColumnInfo, 'generated'>>,
  context: ColumnContext = { table: '', siblings: [], foreignKey: false },
): Suggestion {
  const classification = classifyColumn({ generated: false, ...column }, context);
  if (!classification.personal) return { yaml: 'safe', reason: classification.reason, pii: false };
  // Without the database at hand, a constant is proposed only when the strategy names its value.
  const proposal = proposeStrategies(classification.personal, column)
    .map((candidate) => (candidate.startsWith('constant:') ? constantYaml(candidate.slice('constant:'.length)) : candidate))
    .find((candidate) => candidate !== '');
  return proposal
    ? { yaml: proposal, reason: classification.reason, pii: true }
    : { yaml: '', reason: `${classification.reason}: no strategy fits a NOT NULL ${column.baseType}; write one`, pii: true };
}

/** `{ strategy: constant, value: "…" }`, or '' for a placeholder without a value. */
export function constantYaml(value: string): string {
  return value === '' ? '' : `{ strategy: constant, value: ${JSON.stringify(value)} }`;
}

/**
 * Strategies that suit a personal column, best first, each valid YAML for refork.yml. Only
 * strategies that can produce a value of the column's type are listed; the scan still compiles
 * each one against the column (and checks constants against the column's type and checks)
 * before it proposes it. `constant:<literal>` entries are placeholders for the scan to test.
 */
export function proposeStrategies(
  personal: PersonalKind,
  column: Pick<ColumnInfo, 'baseType' | 'category' | 'notNull' | 'unique'>,
): string[] {
  const nullable = column.notNull ? [] : ['null'];
  const text = column.category === 'S';
  if (text) {
    switch (personal.kind) {
      case 'email':
        return ['email', 'hash'];
      case 'fake':
        return column.unique ? ['hash'] : [`{ strategy: fake, kind: ${personal.fake} }`, 'hash'];
      case 'username':
        return ['hash'];
      case 'birth_date':
      case 'attribute':
      case 'location':
        return [...nullable, 'constant:', 'hash'];
      default:
        return [...nullable, 'hash'];
    }
  }
  // A shift or noise that a CHECK would refuse for some row gives way to a constant the CHECK accepts.
  switch (column.category) {
    case 'D':
      return personal.kind === 'birth_date'
        ? ['{ strategy: shift, days: 180 }', 'constant:']
        : [...nullable, '{ strategy: shift, days: 180 }', 'constant:'];
    case 'N':
      return [
        ...nullable,
        ...(['int2', 'int4', 'int8'].includes(column.baseType) ? ['hash'] : ['{ strategy: noise, ratio: 0.1 }']),
        'constant:',
      ];
    case 'A':
      return [...nullable, 'constant:{}'];
    default:
      break;
  }
  switch (column.baseType) {
    case 'uuid':
    case 'bytea':
      return [...nullable, 'hash'];
    case 'json':
    case 'jsonb':
      return [...nullable, 'constant:{}'];
    case 'inet':
    case 'cidr':
      return [...nullable, 'hash'];
    case 'macaddr':
    case 'macaddr8':
      return [...nullable, 'constant:00:00:5e:00:53:00'];
    case 'xml':
      return [...nullable, 'constant:<redacted/>'];
    case 'bool':
      return [...nullable, 'constant:false'];
    default:
      return [...nullable, 'constant:'];
  }
}

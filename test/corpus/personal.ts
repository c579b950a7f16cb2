// Recognisable synthetic personal data. Every value is built around tokens no anonymizer output
// can produce by chance (invented words such as "Mabokuza", numbers from a private range), each
// token belongs to one value, and every token is recorded: after a refresh, finding a token
// anywhere in the promoted database is an exact count of original values that leaked.
//
// Invented words are consonant-vowel syllables with vowels a, o, u only: the English snowball
// stemmer leaves such words alone, so a token survives to_tsvector() unchanged (lower-cased)
// and a tsvector that kept production's words is caught too.

import { luhn } from '../../src/anonymize/detect.js';

const CONSONANTS = 'bdfkmnprtvz';
const VOWELS = 'aou';
const SYLLABLES = [...CONSONANTS].flatMap((c) => [...VOWELS].map((v) => c + v));
const DOMAINS = ['mailbox.org', 'posteo.de', 'gmx.net', 'proton.me', 'outlook.com', 'fastmail.fm'];
const STREET_KINDS = ['Street', 'Road', 'Lane', 'Avenue'];

export const PERSONAL_KINDS = [
  'email',
  'phone',
  'first_name',
  'last_name',
  'full_name',
  'username',
  'street',
  'city',
  'district',
  'zip',
  'country',
  'company',
  'tax_id',
  'national_id',
  'card',
  'iban',
  'ip',
  'user_agent',
  'fingerprint',
  'secret',
  'birth_date',
  'gender',
  'free_text',
  'url',
] as const;

/** What a column's personal values look like, from its name and type. */
export type PersonalKind = (typeof PERSONAL_KINDS)[number];

const NAME_KINDS: Array<[RegExp, PersonalKind]> = [
  [/e_?mail/, 'email'],
  [/phone|mobile|(^|_)tel($|_)|fax|msisdn/, 'phone'],
  [/(^|_)(first_?name|given_?name|fname|forename|firstname)$/, 'first_name'],
  [/(^|_)(last_?name|family_?name|surname|lname|lastname|middle_?name|middlename)$/, 'last_name'],
  [/(user_?name|login|nick|handle|screen_?name)/, 'username'],
  [/(^|_)(ip|ip_?addr(ess)?|remote_?addr|last_?ip|current_?ip)($|_)|_ip$|ip_addr/, 'ip'],
  [/user_?agent|browser/, 'user_agent'],
  [/fingerprint|device/, 'fingerprint'],
  [/(^|_)(zip|zipcode|zip_?code|postal_?code|postcode)$/, 'zip'],
  [/street|address|addr_?line|line_?\d|(^|_)line$/, 'street'],
  [/(^|_)(city|town)$/, 'city'],
  [/district|state|province|county|region/, 'district'],
  [/country/, 'country'],
  [/company|employer|legal_?name|organi[sz]ation_?name|business_?name/, 'company'],
  [/tax|vat|legal_?number|registration_?number|ein|siren|siret/, 'tax_id'],
  [/ssn|national|passport|nin|id_?number|identity|licen[cs]e_?number/, 'national_id'],
  [/card|pan$/, 'card'],
  [/iban|account_?number|bank/, 'iban'],
  [/birth|dob/, 'birth_date'],
  [/gender|(^|_)sex($|_)|marital/, 'gender'],
  [/password|secret|token|otp|salt|hash|key/, 'secret'],
  [/url|website|homepage|avatar|picture|photo/, 'url'],
  [/note|comment|message|body|description|bio|review|text|content|payload|data|metadata|about|reason/, 'free_text'],
  [/name|contact|customer|person|recipient|reviewer|author|owner|signatory/, 'full_name'],
];

export function personalKind(column: string): PersonalKind {
  const name = column.toLowerCase();
  return NAME_KINDS.find(([pattern]) => pattern.test(name))?.[1] ?? 'full_name';
}

/** Which original value a token belongs to. */
export interface TokenOwner {
  table: string;
  column: string;
  /** One number per stored value: several tokens of one value count as one leak. */
  value: number;
}

/** Values shorter than this are not counted: they could turn up by chance (a 4-digit number). */
export const MIN_TOKEN_LENGTH = 5;

const TOKEN = /[\p{L}\p{N}@._+-]+/gu;

/** The tokens of a text as the leak counter sees them: lower-cased, edge punctuation trimmed. */
export function tokensOf(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0].replace(/^[._+-]+|[._+-]+$/g, '').toLowerCase();
    if (token.length >= MIN_TOKEN_LENGTH) tokens.push(token);
  }
  return tokens;
}

/** A deterministic source of personal values; one per filled database. */
export class PersonalData {
  private serial = 0;
  private values = 0;
  /** Distinctive token → the value it came from. */
  readonly tokens = new Map<string, TokenOwner>();

  constructor(private readonly seed = 0) {}

  /** A fresh invented word, 4 syllables (35,937 × 33 of them), capitalised. */
  word(): string {
    let n = (this.serial++ * 7919 + this.seed * 104729 + 12345) % SYLLABLES.length ** 4;
    let word = '';
    for (let i = 0; i < 4; i++) {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    }
    return word[0]?.toUpperCase() + word.slice(1);
  }

  /** A fresh number in [0, 10^digits) (serial-driven, so unique until it wraps). */
  private number(digits: number): string {
    const n = (this.serial++ * 7901 + this.seed * 31 + 4242) % 10 ** digits;
    return String(n).padStart(digits, '0');
  }

  /** A value of `kind`; the caller records the stored text with `record` once the row is in. */
  text(kind: PersonalKind): string {
    switch (kind) {
      case 'email':
        return `${this.word().toLowerCase()}.${this.word().toLowerCase()}@${DOMAINS[this.serial % DOMAINS.length]}`;
      case 'phone':
        return `+4477009${this.number(5)}`;
      case 'first_name':
      case 'last_name':
        return this.word();
      case 'full_name':
        return `${this.word()} ${this.word()}`;
      case 'username':
        return `${this.word().toLowerCase()}_${this.number(2)}`;
      case 'street':
        return `${Number(this.number(3)) + 1} ${this.word()} ${STREET_KINDS[this.serial % STREET_KINDS.length]}`;
      case 'city':
        return `${this.word()} City`;
      case 'district':
        return `${this.word()} District`;
      case 'zip':
        // ZIP+4: a masked zip (five digits) can never equal it by chance.
        return `9${this.number(4)}-${this.number(4)}`;
      case 'country':
        return `${this.word()}land`;
      case 'company':
        return `${this.word()} Holdings`;
      case 'tax_id':
        return `DE9${this.number(8)}`;
      case 'national_id':
        return `9${this.number(2)}-${this.number(2)}-${this.number(4)}`;
      case 'card':
        return luhnComplete(`49${this.number(13)}`);
      case 'iban':
        return iban(`WEST${this.number(14)}`);
      case 'ip':
        return `81.${Number(this.number(2)) + 100}.${Number(this.number(2)) + 10}.${Number(this.number(2)) + 1}`;
      case 'user_agent':
        return `Mozilla/5.0 (${this.word()}; rv:${this.number(6)}) Gecko/20100101 Firefox/128.0`;
      case 'fingerprint':
        return `fp${this.number(6)}${this.word().toLowerCase()}`;
      case 'secret':
        return `s3cr3t${this.number(6)}${this.word().toLowerCase()}`;
      case 'birth_date':
        return `19${50 + (this.serial++ % 50)}-${String(1 + (this.serial % 12)).padStart(2, '0')}-${String(1 + (this.serial % 28)).padStart(2, '0')}`;
      case 'gender':
        return this.serial++ % 2 === 0 ? 'F' : 'M';
      case 'url':
        return `https://${this.word().toLowerCase()}.example.com/${this.word().toLowerCase()}`;
      case 'free_text':
        return `Call ${this.word()} ${this.word()} on +4477009${this.number(5)} or write to ${this.text('email')}`;
    }
  }

  /** A json object copying a customer's details, as payloads and metadata columns do. */
  json(): string {
    return JSON.stringify({
      name: this.text('full_name'),
      email: this.text('email'),
      phone: this.text('phone'),
      address: { street: this.text('street'), city: this.text('city'), zip: this.text('zip') },
    });
  }

  /** Bytes that start like a PNG and carry a fresh word: a picture of somebody. */
  picture(): string {
    return `\\x89504e470d0a1a0a${Buffer.from(`IHDR ${this.word()} ${this.number(6)}`).toString('hex')}`;
  }

  /** Records the distinctive tokens of a value as it was stored (after any truncation). */
  record(stored: string, where: Omit<TokenOwner, 'value'>, kind?: PersonalKind): void {
    // A one-letter gender identifies nobody alone; it is not counted.
    if (kind === 'gender') return;
    const owner = { ...where, value: this.values++ };
    let counted = false;
    for (const token of tokensOf(stored)) {
      if (distinctive(token) && !this.tokens.has(token)) {
        this.tokens.set(token, owner);
        counted = true;
      }
    }
    if (counted) this.countedValues++;
  }

  /** Stored values that have at least one token of their own: the most the leak counter can find. */
  countedValues = 0;
}

/**
 * Tokens only this generator writes: an invented word (8 letters of its syllable alphabet in a
 * row), a run of 5+ digits (phones, zips, ids, cards), an IP of its range, an SSN of its range.
 * Common words around them ("Street", "District", "Mozilla/5.0") are never counted.
 */
export function distinctive(token: string): boolean {
  return /[bdfkmnprtvzaou]{8}/.test(token) || /\d{5,}/.test(token) || /^81\.\d+\.\d+\.\d+$/.test(token) || /^9\d\d-\d\d-\d{4}$/.test(token);
}

/** Appends the Luhn check digit. */
function luhnComplete(digits: string): string {
  for (let check = 0; check < 10; check++) if (luhn(`${digits}${check}`)) return `${digits}${check}`;
  throw new Error('no Luhn check digit');
}

/** A GB IBAN with a valid check number around `bban`. */
function iban(bban: string): string {
  const rearranged = `${bban}GB00`;
  let remainder = 0;
  for (const char of rearranged) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return `GB${String(98 - remainder).padStart(2, '0')}${bban}`;
}

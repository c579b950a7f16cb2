// Guesses what a column holds from its name and type, to propose rules for columns nobody
// classified yet. Only a proposal: a human reviews the patch before it goes into refork.yml.
import type { ColumnInfo } from './catalog.js';

export interface Suggestion {
  /** The YAML value to write for the column (`email`, `hash`, `null`, `safe`, `{ strategy: fake, kind: city }`…). */
  yaml: string;
  /** Why, shown as a YAML comment. */
  reason: string;
  /** True when the name or values look like personal data. */
  pii: boolean;
}

interface NameRule {
  pattern: RegExp;
  text: string;
  other?: string;
  reason: string;
}

// Ordered: the first match wins. Patterns are tested against the lower-cased column name.
const NAME_RULES: NameRule[] = [
  { pattern: /e_?mail/, text: 'email', reason: 'looks like an email address' },
  {
    pattern: /(^|_)(first_?name|given_?name|fname|forename)$/,
    text: '{ strategy: fake, kind: first_name }',
    reason: 'looks like a first name',
  },
  {
    pattern: /(^|_)(last_?name|family_?name|surname|lname)$/,
    text: '{ strategy: fake, kind: last_name }',
    reason: 'looks like a last name',
  },
  {
    pattern: /(^|_)(full_?name|display_?name|contact_?name|name)$/,
    text: '{ strategy: fake, kind: full_name }',
    reason: 'looks like a person name',
  },
  { pattern: /(^|_)(user_?name|login|nick_?name|handle)$/, text: 'hash', reason: 'looks like a user name' },
  { pattern: /phone|mobile|(^|_)tel($|_)|fax/, text: '{ strategy: fake, kind: phone }', reason: 'looks like a phone number' },
  { pattern: /street|address|addr_?line/, text: '{ strategy: fake, kind: street }', reason: 'looks like a postal address' },
  { pattern: /(^|_)city$|town/, text: '{ strategy: fake, kind: city }', reason: 'looks like a city' },
  { pattern: /(^|_)(zip|postal_?code|postcode)$/, text: '{ strategy: fake, kind: zip }', reason: 'looks like a postal code' },
  { pattern: /company|employer|organi[sz]ation/, text: '{ strategy: fake, kind: company }', reason: 'looks like a company name' },
  { pattern: /birth|(^|_)dob$/, text: '{ strategy: shift, days: 180 }', other: 'null', reason: 'looks like a birth date' },
  {
    pattern: /(^|_)(ssn|nin|passport|national_?id|tax_?id|vat|iban|bic|swift|card|cc_?number|pan|cvv|account_?number)($|_)/,
    text: 'null',
    reason: 'looks like an identity or payment number',
  },
  { pattern: /password|passwd|secret|token|api_?key|salt|otp|session|hash/, text: 'null', reason: 'looks like a credential or secret' },
  {
    pattern: /(^|_)ip($|_)|ip_?addr|user_?agent|latitude|longitude|(^|_)(lat|lng|lon|geo|location)($|_)/,
    text: 'null',
    reason: 'looks like a device or location trace',
  },
  { pattern: /note|comment|message|body|description|bio|remark/, text: 'null', reason: 'free text can hold anything' },
];

export function suggestForColumn(
  column: Pick<ColumnInfo, 'name' | 'baseType' | 'category' | 'notNull' | 'unique' | 'primaryKey'>,
): Suggestion {
  const name = column.name.toLowerCase();
  if (column.primaryKey) return { yaml: 'safe', reason: 'primary key', pii: false };
  const rule = NAME_RULES.find((candidate) => candidate.pattern.test(name));
  if (rule) {
    const textual = column.category === 'S';
    let yaml = textual || rule.text === 'null' || rule.text.startsWith('{ strategy: shift') ? rule.text : (rule.other ?? 'null');
    if (column.baseType === 'json' || column.baseType === 'jsonb') yaml = 'null';
    if (column.unique && !['email', 'hash'].includes(yaml)) yaml = textual ? 'hash' : 'safe';
    // A NOT NULL column cannot be nulled; a placeholder constant forces a human to pick a value.
    if (yaml === 'null' && column.notNull) yaml = textual ? 'hash' : '{ strategy: constant, value: "REPLACE ME" }';
    return { yaml, reason: rule.reason, pii: true };
  }
  if (column.baseType === 'json' || column.baseType === 'jsonb') {
    return { yaml: 'safe', reason: 'json: review its keys, or mask paths with { strategy: json, paths: { … } }', pii: false };
  }
  return { yaml: 'safe', reason: 'nothing personal in its name; review', pii: false };
}

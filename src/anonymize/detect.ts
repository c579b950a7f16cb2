// Value-level PII detectors: does this text look like an email, a phone number, a card number…?
// Used on sampled values after masking (a hit blocks promotion) and by `refork scan`.

export type PiiKind = 'email' | 'phone' | 'ipv4' | 'iban' | 'card' | 'ssn' | 'jwt' | 'api_token';

export const PII_LABELS: Record<PiiKind, string> = {
  email: 'email addresses',
  phone: 'phone numbers',
  ipv4: 'IP addresses',
  iban: 'IBANs',
  card: 'payment card numbers',
  ssn: 'US social security numbers',
  jwt: 'JSON web tokens',
  api_token: 'API tokens',
};

// Reserved names (RFC 2606/6761) never reach a real inbox, so they are not personal data.
const RESERVED_EMAIL = /\.(test|invalid|example|localhost)$/i;
const EMAIL = /[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;
// Anchored on both sides: digit groups inside a uuid, a version or a longer number are not phones.
const PHONE = /(?<![\w.+-])(?:(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}|\+\d{1,3}(?:[ .-]?\d{1,4}){2,6})(?![\w-]|\.\d)/g;
// 555 numbers are reserved for fiction: what `fake: phone` writes.
const FICTIONAL_PHONE = /^\(555\) \d{3}-\d{4}$/;
const IPV4 = /(?<![\w.-])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\w-]|\.\d)/g;
// Documentation ranges (RFC 5737), loopback and unspecified addresses identify no one.
const RESERVED_IPV4 = /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.|^(?:127|0)\./;
// Issuer prefixes of the card networks (Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay): a
// 14-digit timestamp or an order number that happens to pass Luhn is not a card.
const CARD_ISSUER = /^(?:4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)|35)/;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
const CARD = /(?<![\w.-])(?:\d[ -]?){12,18}\d(?![\w-]|\.\d)/g;
const SSN = /(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])/;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const API_TOKEN =
  /\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{10,})/;

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function ibanValid(candidate: string): boolean {
  const iban = candidate.replaceAll(' ', '');
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return iban.length >= 15 && remainder === 1;
}

/** The kinds of personal data `text` seems to contain; `allowedDomains` are pseudonym domains. */
export function detectPii(text: string, allowedDomains: ReadonlySet<string> = new Set()): Set<PiiKind> {
  const found = new Set<PiiKind>();
  for (const match of text.matchAll(EMAIL)) {
    const domain = (match[1] ?? '').toLowerCase();
    if (!RESERVED_EMAIL.test(domain) && !allowedDomains.has(domain)) found.add('email');
  }
  for (const match of text.matchAll(PHONE)) {
    const digits = match[0].replace(/\D/g, '');
    if (digits.length >= 8 && digits.length <= 15 && !FICTIONAL_PHONE.test(match[0].trim())) found.add('phone');
  }
  for (const match of text.matchAll(IPV4)) if (!RESERVED_IPV4.test(match[0])) found.add('ipv4');
  for (const match of text.matchAll(IBAN)) if (ibanValid(match[0])) found.add('iban');
  for (const match of text.matchAll(CARD)) {
    const digits = match[0].replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && CARD_ISSUER.test(digits) && luhn(digits)) found.add('card');
  }
  if (SSN.test(text)) found.add('ssn');
  if (JWT.test(text)) found.add('jwt');
  if (API_TOKEN.test(text)) found.add('api_token');
  return found;
}

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
// Every pattern starts only where a token starts (a lookbehind), so a failed attempt is not
// retried from each later character of the same run: linear in the length of the text.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;
// Digit groups are phones only when nothing word-like, dotted or hyphenated touches them on either
// side: the groups inside a uuid (0190a3b2-1234-7123-…), a version or a longer number are not.
const PHONE =
  /(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}(?![\w-]|\.\d)|(?<![\w.+-])\+\d{1,3}(?:[ .-]?\d{1,4}){2,6}(?![\w-]|\.\d)/g;
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

// IBAN length per country (SWIFT IBAN registry): without it, one upper-case hex string in a
// hundred passes the mod-97 check.
const IBAN_LENGTHS: Record<string, number> = Object.fromEntries(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 ' +
    'GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ' +
    'ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 ' +
    'TR26 UA29 VA22 VG24 XK20'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

function ibanValid(candidate: string): boolean {
  const iban = candidate.replaceAll(' ', '');
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
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

// What a column's values are, read the way its type demands. Only text can carry personal data
// the detectors recognise (an email, a phone number, a card number): a uuid, a number, a date or
// an enum label is never free text, however its digits happen to fall; an inet is an address.
import type { ColumnInfo } from './catalog.js';

export type ValueKind =
  /** text, varchar, char, citext, names: free text. */
  | 'text'
  | 'json'
  /** An array of text or json. */
  | 'text-array'
  /** inet, cidr: IP addresses. */
  | 'network'
  /** tsvector: the words of the text it was computed from. */
  | 'search'
  /** Numbers, uuids, dates, booleans, enums, bytea, geometry…: nothing a text detector can read. */
  | 'other';

type Typed = Pick<ColumnInfo, 'baseType' | 'category' | 'element'>;

const isJson = (baseType: string) => baseType === 'json' || baseType === 'jsonb';

export function valueKind(column: Typed): ValueKind {
  if (column.category === 'S') return 'text';
  if (isJson(column.baseType)) return 'json';
  if (column.category === 'I') return 'network';
  if (column.baseType === 'tsvector') return 'search';
  if (column.category === 'A' && column.element && (column.element.category === 'S' || isJson(column.element.baseType))) {
    return 'text-array';
  }
  return 'other';
}

/** Whether the value detectors can find personal data in this column's values (as text). */
export function isScannable(column: Typed): boolean {
  return valueKind(column) !== 'other';
}

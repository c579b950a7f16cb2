// List pagination with the Range header (docs/heroku-api.md#pagination): `id ..; max=200`,
// `version ..; max=5, order=desc`; a partial page answers 206 with `Next-Range`.
import { SimError } from './errors.js';

export interface RangeSpec {
  field: string;
  start?: { value: string; exclusive: boolean };
  end?: string;
  max: number;
  order: 'asc' | 'desc';
}

const DEFAULT_MAX = 200;
const MOST = 1000;

function unsatisfiable(message: string): SimError {
  return new SimError(416, 'requested_range_not_satisfiable', message);
}

export function parseRange(header: string | undefined, fields: readonly string[]): RangeSpec {
  const defaultField = fields[0] ?? 'id';
  if (header === undefined || header.trim() === '') return { field: defaultField, max: DEFAULT_MAX, order: 'asc' };
  const [bounds = '', ...optionParts] = header.split(';');
  const match = /^\s*([a-z_]+)\s*(.*)$/.exec(bounds);
  if (!match) throw unsatisfiable(`Invalid Range header: ${header}`);
  const field = match[1] ?? '';
  if (!fields.includes(field)) throw unsatisfiable(`Invalid Range field ${field}; use one of ${fields.join(', ')}.`);
  const spec: RangeSpec = { field, max: DEFAULT_MAX, order: 'asc' };
  const span = (match[2] ?? '').trim();
  if (span !== '') {
    const dots = span.indexOf('..');
    if (dots < 0) throw unsatisfiable(`Invalid Range header: ${header}`);
    const from = span.slice(0, dots).trim();
    const to = span.slice(dots + 2).trim();
    if (from !== '') spec.start = from.startsWith(']') ? { value: from.slice(1), exclusive: true } : { value: from, exclusive: false };
    if (to !== '') spec.end = to.replace(/^\[|\]$/g, '');
  }
  for (const option of optionParts.join(';').split(/[,;]/)) {
    const [key = '', value = ''] = option.split('=').map((part) => part.trim());
    if (key === '') continue;
    if (key === 'max') {
      const max = Number(value);
      if (!Number.isInteger(max) || max < 1) throw unsatisfiable(`Invalid Range max: ${value}`);
      spec.max = Math.min(max, MOST);
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw unsatisfiable(`Invalid Range order: ${value}`);
      spec.order = value;
    } else {
      throw unsatisfiable(`Invalid Range option: ${key}`);
    }
  }
  return spec;
}

export interface Page<T> {
  items: T[];
  status: 200 | 206;
  headers: Record<string, string>;
}

export function paginate<T>(all: readonly T[], spec: RangeSpec, valueOf: (item: T, field: string) => string | number): Page<T> {
  const compare = (a: string | number, b: string | number) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  const direction = spec.order === 'desc' ? -1 : 1;
  const typed = (raw: string, sample: string | number | undefined) => (typeof sample === 'number' ? Number(raw) : raw);
  const sorted = [...all].sort((a, b) => direction * compare(valueOf(a, spec.field), valueOf(b, spec.field)));
  const inRange = sorted.filter((item) => {
    const value = valueOf(item, spec.field);
    if (spec.start) {
      const c = direction * compare(value, typed(spec.start.value, value));
      if (c < 0 || (c === 0 && spec.start.exclusive)) return false;
    }
    if (spec.end !== undefined && direction * compare(value, typed(spec.end, value)) > 0) return false;
    return true;
  });
  const items = inRange.slice(0, spec.max);
  const headers: Record<string, string> = { 'Accept-Ranges': spec.field };
  const first = items[0];
  const last = items.at(-1);
  if (first !== undefined && last !== undefined) {
    headers['Content-Range'] = `${spec.field} ${valueOf(first, spec.field)}..${valueOf(last, spec.field)}`;
  }
  if (inRange.length > items.length && last !== undefined) {
    headers['Next-Range'] = `${spec.field} ]${valueOf(last, spec.field)}..; max=${spec.max}${spec.order === 'desc' ? ', order=desc' : ''}`;
    return { items, status: 206, headers };
  }
  return { items, status: 200, headers };
}

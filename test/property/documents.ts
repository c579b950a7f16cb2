// fast-check arbitraries for configuration documents: JSON-ish values with hostile strings
// (quotes, newlines, unicode, SQL), and random mutations of a valid document.
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings that have broken parsers and messages before: control characters, quotes, SQL, unicode. */
export const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    'a"; DROP TABLE x; --',
    "O'Brien",
    'line\nbreak',
    'tab\there',
    '\r\n',
    '',
    ' ',
    '💥',
    'naïve',
    '__proto__',
    'constructor',
    'toString',
    '\u0000',
    'x'.repeat(300),
    '${HOME}',
    '{{x}}',
    '*',
    '..',
  ),
);

export const hostileKey = hostileString;

const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), hostileString);

export const jsonish: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        hostileKey,
        fc.constantFrom('pipelines', 'protected_apps', 'source', 'target', 'anonymize', 'tables', 'columns', 'strategy'),
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

type Path = Array<string | number>;

function paths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...paths(item, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(value: Json, path: Path, replace: (old: Json) => Json | undefined): Json {
  const [head, ...rest] = path;
  if (head === undefined) return replace(value) ?? null;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = [...value];
    const next = rest.length ? setAt(copy[head] ?? null, rest, replace) : replace(copy[head] ?? null);
    if (next === undefined) copy.splice(head, 1);
    else copy[head] = next;
    return copy;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const copy: { [key: string]: Json } = { ...value };
    const key = String(head);
    const next = rest.length ? setAt(copy[key] ?? null, rest, replace) : replace(copy[key] ?? null);
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    return copy;
  }
  return value;
}

type Mutation = { kind: 'delete' } | { kind: 'replace'; with: Json } | { kind: 'addKey'; key: string; with: Json } | { kind: 'wrap' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  jsonish.map<Mutation>((v) => ({ kind: 'replace', with: v })),
  fc.tuple(hostileKey, jsonish).map<Mutation>(([key, v]) => ({ kind: 'addKey', key, with: v })),
  fc.constant<Mutation>({ kind: 'wrap' }),
);

function apply(old: Json, m: Mutation): Json | undefined {
  switch (m.kind) {
    case 'delete':
      return undefined;
    case 'replace':
      return m.with;
    case 'addKey':
      return old && typeof old === 'object' && !Array.isArray(old) ? { ...old, [m.key]: m.with } : { [m.key]: m.with };
    case 'wrap':
      return [old];
  }
}

/** A valid document with one to three random edits at random places. */
export function mutate(valid: Json): fc.Arbitrary<Json> {
  const all = paths(valid);
  return fc.array(fc.tuple(fc.nat(all.length - 1), mutation), { minLength: 1, maxLength: 3 }).map((edits) => {
    let doc = valid;
    for (const [index, m] of edits) {
      const path = all[index] ?? [];
      doc = setAt(doc, path, (old) => apply(old, m));
    }
    return doc;
  });
}

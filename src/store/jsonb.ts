// JSON text for a jsonb parameter. jsonb rejects two things JSON.stringify can produce:
// U+0000 and lone UTF-16 surrogates (both emitted as \u escapes). A transition that could
// not be saved would stall its run for good, so those become U+FFFD; all else is exact.

// A \u0000 or \udXXX (surrogate) escape preceded by an even number of backslashes, i.e. a
// real escape and not the text "\u0000" inside a string (which JSON writes as "\\u0000").
// Paired surrogates are never escaped by JSON.stringify, so every escaped one is lone.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

export function toJsonb(value: unknown): string {
  return JSON.stringify(value).replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
}

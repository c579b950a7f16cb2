// Each strategy compiled to one SQL expression over the column, evaluated by Postgres in a
// set-based statement. Keyed strategies derive everything from HMAC-SHA256(key, value) (hmac.ts), so the
// same input gives the same output in every table and every night, and nothing without the key
// can recompute it.
import type { ColumnInfo } from './catalog.js';
import { hexDigest, hmacInt32 } from './digest.js';
import { quoteIdent } from './quote.js';
import { RulesError, type ColumnStrategy, type JsonPathRule } from './rules.js';
import type { SqlParams } from './sql.js';
import { fakeExpression } from './fake.js';
import { primitivesOf, type MaskPrimitives } from './primitives.js';

export interface CompileContext {
  params: SqlParams;
  /** How HMACs and dictionary words are written (refork's built-in ones unless given). */
  primitives?: MaskPrimitives;
  /** When set, every keyed digest compiled is recorded here, raw (the engine computes repeated ones once per row). */
  digests?: string[];
}

const EMAIL_LOCAL_HEX = 16;

/** Hex digest of HMAC-SHA256(key, text). */
export function hmacHex(text: string, ctx: CompileContext): string {
  const raw = primitivesOf(ctx).hmac(text, ctx.params);
  ctx.digests?.push(raw);
  return hexDigest(raw);
}

export function isTextLike(column: Pick<ColumnInfo, 'category'>): boolean {
  return column.category === 'S';
}

/**
 * The SQL expression that replaces `ref` (an already-quoted column) under `strategy`.
 * Throws RulesError (naming `where`) when the strategy cannot produce a value of the column's type.
 */
export function compileColumn(strategy: ColumnStrategy, column: ColumnInfo, ref: string, where: string, ctx: CompileContext): string {
  const unsuited = (fix: string): never => {
    throw new RulesError(`${where}: strategy ${strategy.kind} cannot produce a value of type ${column.type}; ${fix}`);
  };
  switch (strategy.kind) {
    case 'safe':
      return ref;
    case 'null':
      if (column.notNull) throw new RulesError(`${where}: column is NOT NULL, so it cannot be set to null; use constant or hash`);
      // Typed, so a rewrite's stage gets the column's own type (format_type's text, quoted as needed).
      return `NULL::${column.type}`;
    case 'constant':
      // An explicit cast would cut a long value short without a word: say so instead.
      if (column.maxLength !== null && [...strategy.value].length > column.maxLength) {
        throw new RulesError(
          `${where}: the constant has ${[...strategy.value].length} characters but the column is ${column.type}; use a shorter value`,
        );
      }
      // Postgres parses the text with the column's own type: a value that does not fit fails to compile.
      return `CAST(${ctx.params.add(strategy.value)} AS ${column.type})`;
    case 'hash':
      return hashExpression(column, ref, strategy.length, ctx, unsuited);
    case 'email': {
      if (!isTextLike(column)) unsuited('use it on a text or varchar column');
      const length = 1 + EMAIL_LOCAL_HEX + 1 + strategy.domain.length;
      if (column.maxLength !== null && column.maxLength < length) {
        throw new RulesError(
          `${where}: pseudonymous emails need ${length} characters but the column is ${column.type}; use hash with a length`,
        );
      }
      return emailExpression(`${ref}::text`, strategy.domain, ctx);
    }
    case 'fake':
      if (!isTextLike(column)) unsuited('use it on a text or varchar column');
      return clip(fakeExpression(strategy.fake, `${ref}::text`, hmacHex(`${ref}::text`, ctx), ctx), column);
    case 'partial':
      if (!isTextLike(column)) unsuited('use it on a text or varchar column');
      return partialExpression(`${ref}::text`, strategy.keep, strategy.mask, ctx);
    case 'noise':
      if (column.category !== 'N') unsuited('use it on a numeric column (integer, numeric, real, double precision)');
      return noiseExpression(column, ref, strategy.ratio, ctx);
    case 'shift':
      if (!['date', 'timestamp', 'timestamptz'].includes(column.baseType)) unsuited('use it on a date, timestamp or timestamptz column');
      return shiftExpression(column, ref, strategy.days, ctx);
    case 'json':
      if (column.baseType !== 'jsonb' && column.baseType !== 'json') unsuited('use it on a json or jsonb column');
      return jsonExpression(column, ref, strategy.paths, ctx);
    case 'sql':
      // A reviewed rule file is trusted code; {key} lets a custom expression be keyed without the key in the text.
      return `(${strategy.expression.replaceAll('{column}', ref).replaceAll('{key}', () => `${ctx.params.keyParam()}::text`)})`;
  }
}

/** Keeps varchar(n)/char(n) columns valid when a generated value can be longer than n. */
function clip(expression: string, column: ColumnInfo): string {
  return column.maxLength === null ? expression : `pg_catalog.left(${expression}, ${column.maxLength})`;
}

function hashExpression(
  column: ColumnInfo,
  ref: string,
  length: number | undefined,
  ctx: CompileContext,
  unsuited: (fix: string) => never,
): string {
  const hex = hmacHex(`${ref}::text`, ctx);
  if (isTextLike(column)) {
    const width = Math.min(length ?? 64, column.maxLength ?? 64);
    return width === 64 ? hex : `pg_catalog.left(${hex}, ${width})`;
  }
  switch (column.baseType) {
    case 'uuid':
      return `pg_catalog.left(${hex}, 32)::uuid`;
    case 'bytea':
      return primitivesOf(ctx).hmac(`${ref}::text`, ctx.params);
    case 'inet':
    case 'cidr':
      // A unique-local IPv6 address (fd00::/8, RFC 4193) from 120 bits of the digest: distinct stays distinct, and it routes nowhere.
      return `pg_catalog.regexp_replace('fd' || pg_catalog.left(${hex}, 30), '(.{4})(?!$)', '\\1:', 'g')::${column.baseType}`;
    case 'int8':
      // 60 bits keeps the result positive and collisions negligible.
      return `('x' || pg_catalog.left(${hex}, 15))::bit(60)::int8`;
    case 'int4':
      return `(${hmacInt32(hex)} & 2147483647)::int4`;
    case 'int2':
      return `(${hmacInt32(hex)} & 32767)::int2`;
    default:
      return unsuited('hash works on text, varchar, char, uuid, bytea, inet and integer columns; use null, constant or sql');
  }
}

export function emailExpression(text: string, domain: string, ctx: CompileContext): string {
  // lower(): the same address typed in two cases is the same person everywhere.
  return `('u' || pg_catalog.left(${hmacHex(`pg_catalog.lower(${text})`, ctx)}, ${EMAIL_LOCAL_HEX}) || '@' || ${ctx.params.add(domain)}::text)`;
}

export function partialExpression(text: string, keep: number, mask: string, ctx: CompileContext): string {
  const m = `${ctx.params.add(mask)}::text`;
  // A value no longer than what would be kept is masked whole: keeping it would keep everything.
  return `(CASE WHEN pg_catalog.length(${text}) <= ${keep} THEN pg_catalog.repeat(${m}, pg_catalog.length(${text}))
    ELSE pg_catalog.repeat(${m}, pg_catalog.length(${text}) - ${keep}) || pg_catalog.right(${text}, ${keep}) END)`;
}

/** A keyed factor in [-1, 1], the same for the same value every night (no averaging across refreshes). */
function keyedUnit(text: string, ctx: CompileContext): string {
  return `(${hmacInt32(hmacHex(text, ctx))}::float8 / 2147483647.5 - 1.0)`;
}

function noiseExpression(column: ColumnInfo, ref: string, ratio: number, ctx: CompileContext): string {
  const factor = `(1.0 + ${ctx.params.add(ratio)}::float8 * ${keyedUnit(`${ref}::text`, ctx)})`;
  if (['int2', 'int4', 'int8'].includes(column.baseType)) return `pg_catalog.round(${ref}::numeric * ${factor}::numeric)`;
  if (column.baseType === 'numeric') return `(${ref} * ${factor}::numeric)`;
  return `(${ref} * ${factor})`;
}

function shiftExpression(column: ColumnInfo, ref: string, days: number, ctx: CompileContext): string {
  // 1..days either way, never 0, so a shifted date always differs from the original.
  const n = `(${hmacInt32(hmacHex(`${ref}::text`, ctx))} % ${2 * days})`;
  const offset = `(CASE WHEN ${n} < ${days} THEN ${n} - ${days} ELSE ${n} - ${days} + 1 END)::int`;
  if (column.baseType === 'date') return `(${ref} + ${offset})`;
  return `(${ref} + pg_catalog.make_interval(days => ${offset}))`;
}

/** The text strategies that json paths may use, applied to a text expression. */
function textLeaf(strategy: ColumnStrategy, text: string, ctx: CompileContext): string {
  switch (strategy.kind) {
    case 'null':
      return `'null'::jsonb`;
    case 'constant':
      return `pg_catalog.to_jsonb(${ctx.params.add(strategy.value)}::text)`;
    case 'hash': {
      const hex = hmacHex(text, ctx);
      return `pg_catalog.to_jsonb(${strategy.length ? `pg_catalog.left(${hex}, ${strategy.length})` : hex})`;
    }
    case 'email':
      return `pg_catalog.to_jsonb(${emailExpression(text, strategy.domain, ctx)})`;
    case 'fake':
      return `pg_catalog.to_jsonb(${fakeExpression(strategy.fake, text, hmacHex(text, ctx), ctx)})`;
    case 'partial':
      return `pg_catalog.to_jsonb(${partialExpression(text, strategy.keep, strategy.mask, ctx)})`;
    default:
      throw new RulesError(`strategy ${strategy.kind} cannot be used inside json`);
  }
}

/** Rewrites one path of a jsonb value; anything absent, null or of another shape is left as it is. */
function maskPath(value: string, path: string[], strategy: ColumnStrategy, ctx: CompileContext): string {
  const [head, ...rest] = path;
  if (head === undefined) {
    return `(CASE WHEN pg_catalog.jsonb_typeof(${value}) IN ('string', 'number', 'boolean')
      THEN ${textLeaf(strategy, `(${value} #>> '{}')`, ctx)} ELSE ${value} END)`;
  }
  if (head === '*') {
    return `(CASE WHEN pg_catalog.jsonb_typeof(${value}) = 'array' THEN
      (SELECT COALESCE(pg_catalog.jsonb_agg(${maskPath('e.v', rest, strategy, ctx)} ORDER BY e.o), '[]'::jsonb)
         FROM pg_catalog.jsonb_array_elements(${value}) WITH ORDINALITY AS e(v, o))
      ELSE ${value} END)`;
  }
  const key = `${ctx.params.add(head)}::text`;
  return `(CASE WHEN pg_catalog.jsonb_typeof(${value}) = 'object' AND ${value} ? ${key}
    THEN pg_catalog.jsonb_set(${value}, ARRAY[${key}], ${maskPath(`(${value} -> ${key})`, rest, strategy, ctx)})
    ELSE ${value} END)`;
}

function jsonExpression(column: ColumnInfo, ref: string, paths: JsonPathRule[], ctx: CompileContext): string {
  let value = `${ref}::jsonb`;
  for (const rule of paths) value = maskPath(value, rule.path, rule.strategy, ctx);
  // jsonb → json is an assignment cast, so the UPDATE stores json columns as json.
  return value;
}

/** Quoted column reference. */
export function columnRef(name: string): string {
  return quoteIdent(name);
}

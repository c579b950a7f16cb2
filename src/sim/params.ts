// Request-body reading with Heroku's 422 answers. Identities may come as strings (schema) or as
// `{name}`/`{id}` objects (what the CLI sends, docs/heroku-api.md#request-forms).
import { invalidParams } from './errors.js';

export type Body = Record<string, unknown>;

export function objectBody(body: unknown): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParams('The request body must be a JSON object.');
  return body as Body;
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function identity(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (isObject(value)) {
    const named = value['name'] ?? value['id'];
    if (typeof named === 'string' && named !== '') return named;
  }
  throw invalidParams(`Invalid ${field}: expected a name or id, or an object with one.`);
}

export function requiredIdentity(body: Body, field: string): string {
  const value = identity(body, field);
  if (value === undefined) throw invalidParams(`Missing required params: ${field}.`);
  return value;
}

export function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParams(`Invalid ${field}: expected a string.`);
  return value;
}

export function optionalNullableString(body: Body, field: string): string | null {
  return optionalString(body, field) ?? null;
}

/** Add-on config: string values per the schema; booleans too, as the CLI sends them (docs/heroku-api.md#request-forms). */
export function addonConfig(body: Body): Record<string, string> {
  const config = body['config'];
  if (config === undefined || config === null) return {};
  if (!isObject(config)) throw invalidParams('Invalid config: expected an object.');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'boolean') out[key] = String(value);
    else throw invalidParams(`Invalid config value for ${key}: expected a string.`);
  }
  return out;
}

export function nested(body: Body, field: string): Body {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalidParams(`Invalid ${field}: expected an object.`);
  return value;
}

// Resolves `config.fork` of an add-on create (docs/heroku-api.md#creating-the-fork) to the source
// add-on and refuses sources Heroku refuses (docs/heroku-api.md#plans): plans below Standard, followers, databases not ready.
import { invalidParams } from './errors.js';
import { canBeForked } from './plans.js';
import type { AddonRecord, AppRecord, SimState } from './state.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

function byUrl(state: SimState, url: string): AddonRecord | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return [...state.addons.values()].find(
    (addon) => addon.credential?.database === database && addon.credential.user === decodeURIComponent(parsed.username),
  );
}

function locate(state: SimState, destination: AppRecord, value: string): AddonRecord | undefined {
  const separator = value.indexOf('::');
  if (separator > 0) {
    const app = state.findApp(value.slice(0, separator));
    const url = app ? state.configOf(app).get(value.slice(separator + 2)) : undefined;
    return url === undefined ? undefined : byUrl(state, url);
  }
  if (POSTGRES_URL.test(value)) return byUrl(state, value);
  const ownVar = state.configOf(destination).get(value);
  if (ownVar !== undefined) return byUrl(state, ownVar);
  return state.findAddon(value);
}

export function resolveForkSource(state: SimState, destination: AppRecord, value: string): AddonRecord {
  const source = locate(state, destination, value);
  // Never echo a URL back: it carries a password.
  const shown = POSTGRES_URL.test(value) ? 'the given database URL' : value;
  if (!source) throw invalidParams(`Could not find a Heroku Postgres database to fork from ${shown}.`);
  if (!canBeForked(source.plan)) {
    throw invalidParams(
      `Forking is only supported on Standard-tier or higher database plans: ${source.name} is on ${source.plan}. Upgrade it before forking.`,
    );
  }
  if (source.following !== null) throw invalidParams(`${source.name} is a follower: you can't create forks of a follower database.`);
  if (source.state !== 'provisioned' || !source.available) {
    throw invalidParams(`${source.name} is not available for forking yet (Fork/Follow: Temporarily Unavailable). Try again later.`);
  }
  return source;
}

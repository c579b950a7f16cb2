// Which database `refork plan` and `refork scan` read: a URL given on the command line, or the
// pipeline's source database (production, where the fork's schema comes from) through its
// config var. Both only read; the URL's password is registered for redaction first.
import pg from 'pg';
import { ConfigError } from '../../config/errors.js';
import type { PipelineConfig } from '../../config/pipeline.js';
import { createHerokuClient } from '../../heroku/client.js';
import { displayUrl, registerSecret } from '../../log/redact.js';
import { clientConfig } from '../../pg/connect.js';

export interface InspectedDatabase {
  /** Where it is, for a heading: never with credentials. */
  label: string;
  connect: () => Promise<pg.Client>;
}

export function inspectedDatabase(
  options: { url?: string; pipeline?: PipelineConfig },
  env: NodeJS.ProcessEnv = process.env,
): InspectedDatabase {
  if (options.url) {
    const url = options.url;
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new ConfigError('--url is not a postgres:// URL: pass the database URL, e.g. postgres://host:5432/db');
    return { label: displayUrl(url), connect: () => connected(url) };
  }
  const pipeline = options.pipeline;
  if (!pipeline) throw new ConfigError('nothing to read: name a pipeline or pass --url postgres://…');
  const token = env.HEROKU_API_KEY?.trim();
  if (!token) throw new ConfigError('HEROKU_API_KEY is not set: set it to read the source database, or pass --url postgres://…');
  registerSecret(token);
  const heroku = createHerokuClient({
    token,
    apiUrl: env.HEROKU_API_URL?.trim() || 'https://api.heroku.com',
    dataApiUrl: env.HEROKU_DATA_API_URL?.trim() || 'https://api.data.heroku.com',
  });
  const { app, database } = pipeline.source;
  return {
    label: `${app}::${database}`,
    connect: async () => {
      const attachment = await heroku.getAttachment(app, database);
      if (!attachment)
        throw new ConfigError(`source app ${app} has no database attached as ${database}: check source.database in refork.yml`);
      const url = (await heroku.getConfigVars(app))[`${attachment.name}_URL`];
      if (!url) throw new ConfigError(`config var ${attachment.name}_URL is missing on ${app}`);
      return connected(url);
    },
  };
}

async function connected(url: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(url));
  client.on('error', () => {}); // a session cut while idle fails the next query instead
  await client.connect();
  return client;
}

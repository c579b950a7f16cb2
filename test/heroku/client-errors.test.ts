// How Heroku's error answers surface: 404 → null only for the resource asked for, typed errors
// with Heroku's id, the 423 confirm retry, and no secret in any message or log line.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HerokuApiError, HerokuNetworkError } from '../../src/heroku/types.js';
import { addonBody, clientFor, TOKEN } from './client-fixture.js';
import { hang, json, reset, startFakeHeroku, type FakeHeroku } from './fake-heroku.js';

let fake: FakeHeroku;
beforeEach(async () => {
  fake = await startFakeHeroku();
});
afterEach(async () => {
  await fake.close();
});

const addonMissing = json(404, { id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' });
const appMissing = json(404, { id: 'not_found', message: "Couldn't find that app.", resource: 'app' });

async function caught(promise: Promise<unknown>): Promise<HerokuApiError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof HerokuApiError)) throw new Error(`expected a HerokuApiError, got ${String(error)}`);
  return error;
}

describe('404', () => {
  it('is null for an absent add-on, attachment, database and deleted resources', async () => {
    const { client } = clientFor(fake);
    fake.queue(
      addonMissing,
      json(404, { id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' }),
      json(404, { id: 'not_found', message: "Couldn't find that add on attachment.", resource: 'add_on attachment' }),
      addonMissing,
      json(404, { id: 'not_found', message: 'not found', resource: 'add_on attachment' }),
      json(404, { id: 'not_found', message: 'database not found' }),
      json(404, 'Not Found'),
    );
    expect(await client.getAddon('stg', 'refork-a')).toBeNull();
    expect(await client.findAddon('refork-a')).toBeNull();
    expect(await client.getAttachment('stg', 'DATABASE')).toBeNull();
    expect(await client.destroyAddon('stg', 'id-refork-a')).toBeNull();
    expect(await client.deleteAttachment('att-1')).toBeNull();
    expect(await client.waitStatus('db-1')).toBeNull();
    expect(await client.databaseInfo('db-1')).toBeNull();
  });

  it('throws for an unknown app instead of reporting the add-on absent', async () => {
    const { client } = clientFor(fake);
    fake.queue(appMissing, appMissing, appMissing);
    for (const call of [
      () => client.getAddon('nope', 'refork-a'),
      () => client.destroyAddon('nope', 'id-refork-a'),
      () => client.getAttachment('nope', 'DATABASE'),
    ]) {
      const error = await caught(call());
      expect([error.status, error.id, error.resource]).toEqual([404, 'not_found', 'app']);
      expect(error.retryable).toBe(false);
    }
  });

  it('throws for a release that is not found (no null in the contract)', async () => {
    fake.queue(json(404, { id: 'not_found', message: "Couldn't find that release.", resource: 'release' }));
    const error = await caught(clientFor(fake).client.getRelease('stg', 'r-1'));
    expect(error.status).toBe(404);
  });
});

describe('error answers', () => {
  it('carry status, Heroku id, message, method, path and resource', async () => {
    fake.queue(json(422, { id: 'invalid_params', message: 'Name is already taken', resource: 'add_on' }));
    const error = await caught(
      clientFor(fake).client.createAddon('stg', { plan: 'p', name: 'refork-x', attachmentName: 'REFORK_X', config: {} }),
    );
    expect(error).toMatchObject({
      name: 'HerokuApiError',
      status: 422,
      id: 'invalid_params',
      method: 'POST',
      path: '/apps/stg/addons',
      resource: 'add_on',
      retryable: false,
    });
    expect(error.message).toBe('Heroku POST /apps/stg/addons answered 422 invalid_params: Name is already taken');
  });

  it('fall back to an id from the status when the body is not Heroku JSON', async () => {
    fake.queue(json(403, '<html>Forbidden</html>'));
    const error = await caught(clientFor(fake).client.listAttachments('stg'));
    expect([error.status, error.id]).toEqual([403, 'forbidden']);
    expect(error.message).not.toContain('<html>');
  });

  it('reject a 2xx answer that is not JSON', async () => {
    fake.queue(json(200, 'hello'));
    const error = await caught(clientFor(fake).client.listAttachments('stg'));
    expect(error.id).toBe('invalid_response');
  });

  it('withhold the message of the config-vars endpoint', async () => {
    fake.queue(json(403, { id: 'forbidden', message: 'DATABASE_URL=postgres://u:hunter2@h/d' }));
    const error = await caught(clientFor(fake).client.getConfigVars('stg'));
    expect(error.id).toBe('forbidden');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('DATABASE_URL');
  });

  it('redact credentials in URLs that Heroku puts in a message', async () => {
    fake.queue(json(400, { id: 'bad_request', message: 'cannot fork postgres://u:hunter2@db.example/d' }));
    const error = await caught(clientFor(fake).client.listFormation('stg'));
    expect(error.message).toContain('postgres://u:***@db.example/d');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('423 confirmation_required', () => {
  const confirmationRequired = json(
    423,
    { id: 'confirmation_required', message: 'This add-on is not automatically networked with this Private Space.' },
    { 'X-Confirmation-Required': 'addon_in_private_space' },
  );
  const request = { plan: 'heroku-postgresql:standard-0', name: 'refork-a', attachmentName: 'REFORK_A', config: { fork: 'prod-db' } };

  it('re-sends an add-on create once with confirm: <app>', async () => {
    fake.queue(confirmationRequired, json(201, addonBody('refork-a')));
    const created = await clientFor(fake).client.createAddon('stg', request);
    expect(created.name).toBe('refork-a');
    expect(fake.requests.map((sent) => (JSON.parse(sent.body) as { confirm?: string }).confirm)).toEqual([undefined, 'stg']);
  });

  it('gives up when the confirmed request is refused again', async () => {
    fake.queue(confirmationRequired, confirmationRequired);
    const error = await caught(clientFor(fake).client.createAddon('stg', request));
    expect(error.status).toBe(423);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not re-send when the caller already confirmed', async () => {
    fake.queue(confirmationRequired);
    await caught(clientFor(fake).client.createAddon('stg', { ...request, confirm: 'stg' }));
    expect(fake.requests).toHaveLength(1);
  });

  it('re-sends an attachment create with confirm, but never one named DATABASE', async () => {
    const { client } = clientFor(fake);
    fake.queue(confirmationRequired, json(201, { id: 'att-1', name: 'DATABASE_CONNECTION_POOL' }));
    await client.createAttachment({ addon: 'refork-a', app: 'stg', name: 'DATABASE_CONNECTION_POOL' });
    expect((JSON.parse(fake.requests[1]?.body ?? '{}') as { confirm?: string }).confirm).toBe('stg');

    fake.queue(confirmationRequired);
    const error = await caught(client.createAttachment({ addon: 'refork-a', app: 'stg', name: 'DATABASE' }));
    expect(error.status).toBe(423);
    expect(fake.requests).toHaveLength(3);
  });
});

describe('secrets', () => {
  it('never puts the token in a thrown message or a log line', async () => {
    const { client, logText } = clientFor(fake, { timeoutMs: 200, retry: { limit: 1 } });
    const messages: string[] = [];
    const record = async (promise: Promise<unknown>) => {
      const error = await caught(promise);
      messages.push(error.message, String(error.stack), JSON.stringify(error));
    };
    // A server that echoes the token back, in the message and in a URL.
    fake.queue(json(401, { id: 'unauthorized', message: `Invalid credentials provided: ${TOKEN}` }));
    await record(client.listAddons('stg'));
    fake.queue(json(400, { id: 'bad_request', message: `see https://x:${TOKEN}@api.heroku.com` }));
    await record(client.getRelease('stg', '1'));
    fake.queue(reset);
    await record(client.createAttachment({ addon: 'a', app: 'stg' }));
    fake.queue(hang, hang);
    await record(client.getAddon('stg', 'a'));
    fake.queue(json(500, { id: 'internal_server_error', message: TOKEN }), json(500, { id: 'internal_server_error', message: TOKEN }));
    await record(client.databaseInfo('db-1'));

    expect(messages.length).toBe(15);
    for (const text of [...messages, logText()]) {
      expect(text).not.toContain(TOKEN);
      expect(text.toLowerCase()).not.toContain('bearer');
    }
    expect(logText()).toContain('"status":0');
  });

  it('types a dropped connection as a retryable HerokuNetworkError', async () => {
    fake.queue(reset);
    const error = await caught(clientFor(fake).client.createAttachment({ addon: 'a', app: 'stg' }));
    expect(error).toBeInstanceOf(HerokuNetworkError);
    expect(error).toMatchObject({ status: 0, id: 'network_error', retryable: true, requestMayHaveBeenApplied: true });
  });
});

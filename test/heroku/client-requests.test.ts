// What the client puts on the wire: headers, paths, schema-valid bodies, ranges, both hosts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addonBody, clientFor, TOKEN } from './client-fixture.js';
import { json, reset, startFakeHeroku, type FakeHeroku } from './fake-heroku.js';

let fake: FakeHeroku;
beforeEach(async () => {
  fake = await startFakeHeroku();
});
afterEach(async () => {
  await fake.close();
});

function sent(index: number) {
  const request = fake.requests[index];
  if (!request) throw new Error(`no request #${index} was sent (got ${fake.requests.length})`);
  return request;
}

describe('headers', () => {
  it('sends Accept version=3, the Bearer token, a User-Agent and no expansion', async () => {
    fake.queue(json(200, addonBody('refork-a')));
    await clientFor(fake).client.getAddon('stg', 'refork-a');
    const { headers } = sent(0);
    expect(headers.accept).toBe('application/vnd.heroku+json; version=3');
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers['user-agent']).toMatch(/^refork\/\d+\.\d+\.\d+/);
    expect(headers['accept-expansion']).toBeUndefined();
    expect(headers['accept-inclusion']).toBeUndefined();
  });

  it('sends one fresh Request-Id per request, never an accumulated list', async () => {
    const { client } = clientFor(fake);
    for (let i = 0; i < 5; i += 1) {
      fake.queue(json(200, { 'waiting?': true, message: 'preparing' }));
      await client.waitStatus('db-1');
    }
    const ids = fake.requests.map((request) => request.headers['request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(5);
  });

  it('sends the same Accept and Bearer token to the data API', async () => {
    fake.queue(json(200, { addon_id: 'db-1', name: 'refork-a', forked_from: 'prod-db' }));
    const info = await clientFor(fake).client.databaseInfo('db-1');
    expect(info?.forked_from).toBe('prod-db');
    expect(sent(0).url).toBe('/client/v11/databases/db-1');
    expect(sent(0).headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent(0).headers.accept).toBe('application/vnd.heroku+json; version=3');
  });

  it('uses the configured User-Agent', async () => {
    fake.queue(json(200, []));
    await clientFor(fake, { userAgent: 'refork-test/9' }).client.listFormation('stg');
    expect(sent(0).headers['user-agent']).toBe('refork-test/9');
  });
});

describe('add-on create', () => {
  const request = {
    plan: 'heroku-postgresql:standard-0',
    name: 'refork-stg-20261125-7f3a',
    attachmentName: 'REFORK_7F3A',
    config: { fork: 'prod::DATABASE_URL', fast: 'true' },
  };

  it('nests fork under config, with string values and a string plan', async () => {
    fake.queue(json(201, addonBody(request.name)));
    const created = await clientFor(fake).client.createAddon('stg', request);
    expect(created.name).toBe(request.name);
    const { method, url, headers, body } = sent(0);
    expect([method, url]).toEqual(['POST', '/apps/stg/addons']);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-heroku-legacy-provider-messages']).toBe('true');
    expect(JSON.parse(body)).toEqual({
      plan: 'heroku-postgresql:standard-0',
      name: 'refork-stg-20261125-7f3a',
      attachment: { name: 'REFORK_7F3A' },
      config: { fork: 'prod::DATABASE_URL', fast: 'true' },
    });
  });

  it('passes an explicit confirm through', async () => {
    fake.queue(json(201, addonBody(request.name)));
    await clientFor(fake).client.createAddon('stg', { ...request, confirm: 'stg' });
    expect(JSON.parse(sent(0).body)).toMatchObject({ confirm: 'stg' });
  });

  it('refuses to create an add-on attached as DATABASE, without sending anything', async () => {
    const { client } = clientFor(fake);
    await expect(client.createAddon('stg', { ...request, attachmentName: 'database' })).rejects.toThrow(/DATABASE/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('attachments', () => {
  it('creates with string identities and namespace null kept', async () => {
    fake.queue(json(201, { id: 'att-1', name: 'DATABASE' }));
    await clientFor(fake).client.createAttachment({
      addon: 'refork-a',
      app: 'stg',
      name: 'DATABASE',
      namespace: null,
      confirm: 'stg',
    });
    const { method, url, body } = sent(0);
    expect([method, url]).toEqual(['POST', '/addon-attachments']);
    expect(JSON.parse(body)).toEqual({ addon: 'refork-a', app: 'stg', name: 'DATABASE', namespace: null, confirm: 'stg' });
  });

  it('omits name, namespace and confirm when not given', async () => {
    fake.queue(json(201, { id: 'att-2', name: 'HEROKU_POSTGRESQL_RED' }));
    await clientFor(fake).client.createAttachment({ addon: 'id-old', app: 'stg' });
    expect(JSON.parse(sent(0).body)).toEqual({ addon: 'id-old', app: 'stg' });
  });

  it('deletes by id with no body', async () => {
    fake.queue(json(200, { id: 'att-1', name: 'REFORK_7F3A' }));
    await clientFor(fake).client.deleteAttachment('att-1');
    expect([sent(0).method, sent(0).url, sent(0).body]).toEqual(['DELETE', '/addon-attachments/att-1', '']);
  });
});

describe('maintenance mode', () => {
  it('sets the app attribute with PATCH /apps/{app}, and sends it again after a 503 or a lost answer (a value, not a toggle)', async () => {
    fake.queue(json(503, { id: 'unavailable', message: 'down' }), reset, json(200, { name: 'stg', maintenance: true }));
    const app = await clientFor(fake).client.setMaintenance('stg', true);
    expect(app.maintenance).toBe(true);
    expect(fake.requests.map((r) => [r.method, r.url, r.body])).toEqual(
      Array.from({ length: 3 }, () => ['PATCH', '/apps/stg', '{"maintenance":true}']),
    );
    expect(sent(2).headers['content-type']).toMatch(/application\/json/);
  });
});

describe('paths', () => {
  it('destroys an add-on with DELETE and no body', async () => {
    fake.queue(json(202, addonBody('refork-a', 'deprovisioning')));
    const destroyed = await clientFor(fake).client.destroyAddon('stg', 'id-refork-a');
    expect(destroyed?.state).toBe('deprovisioning');
    expect([sent(0).method, sent(0).url, sent(0).body]).toEqual(['DELETE', '/apps/stg/addons/id-refork-a', '']);
    expect(sent(0).headers['content-type']).toBeUndefined();
  });

  it('encodes every path segment', async () => {
    fake.queue(json(200, { id: 'att', name: 'X' }));
    await clientFor(fake).client.getAttachment('my app', 'a/b?c#d');
    expect(sent(0).url).toBe('/apps/my%20app/addon-attachments/a%2Fb%3Fc%23d');
  });

  it('reads wait_status from the data host by add-on id', async () => {
    fake.queue(json(200, { 'waiting?': false, message: 'available' }));
    const status = await clientFor(fake).client.waitStatus('01234567-89ab');
    expect(status).toEqual({ 'waiting?': false, message: 'available' });
    expect(sent(0).url).toBe('/client/v11/databases/01234567-89ab/wait_status');
  });
});

describe('ranges', () => {
  it('asks for 1000 per page and follows Next-Range until a 200', async () => {
    fake.queue(
      json(206, [addonBody('a'), addonBody('b')], { 'Next-Range': ']id-b..; max=1000' }),
      json(206, [addonBody('c')], { 'Next-Range': ']id-c..; max=1000' }),
      json(200, [addonBody('d')]),
    );
    const addons = await clientFor(fake).client.listAddons('stg');
    expect(addons.map((addon) => addon.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(fake.requests.map((request) => request.headers.range)).toEqual(['id ..; max=1000', ']id-b..; max=1000', ']id-c..; max=1000']);
  });

  it('stops at a 206 without Next-Range', async () => {
    fake.queue(json(206, [{ id: 'att-1', name: 'DATABASE' }]));
    const attachments = await clientFor(fake).client.listAttachments('stg');
    expect(attachments).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });

  it('asks for the newest releases first and reads one page', async () => {
    fake.queue(json(206, [{ version: 12 }, { version: 11 }], { 'Next-Range': ']11..; max=2, order=desc' }));
    const releases = await clientFor(fake).client.listReleases('stg', 2);
    expect(releases.map((release) => release.version)).toEqual([12, 11]);
    expect(sent(0).url).toBe('/apps/stg/releases');
    expect(sent(0).headers.range).toBe('version ..; max=2, order=desc');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('rate limit', () => {
  it('exposes the last RateLimit-Remaining and reports each response', async () => {
    const seen: Array<{ status: number; rateLimitRemaining?: number }> = [];
    const { client } = clientFor(fake, { onResponse: (info) => seen.push(info) });
    expect(client.rateLimitRemaining).toBeUndefined();
    fake.queue(json(200, [], { 'RateLimit-Remaining': '4321' }), json(200, [], { 'RateLimit-Remaining': '12' }));
    await client.listFormation('stg');
    expect(client.rateLimitRemaining).toBe(4321);
    await client.listFormation('stg');
    expect(client.rateLimitRemaining).toBe(12);
    expect(seen.map((info) => [info.status, info.rateLimitRemaining])).toEqual([
      [200, 4321],
      [200, 12],
    ]);
  });

  it('logs one debug line per request with status and Request-Id, no headers or body', async () => {
    fake.queue(json(200, { DATABASE_URL: 'postgres://u:hunter2@db.example:5432/d' }, { 'Request-Id': 'req-abc' }));
    const { client, logText } = clientFor(fake);
    await client.getConfigVars('stg');
    const lines = logText()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'debug', method: 'GET', path: '/apps/stg/config-vars', status: 200, requestId: 'req-abc' });
    expect(logText()).not.toContain('hunter2');
    expect(logText()).not.toContain('postgres://');
    expect(logText()).not.toContain('authorization');
  });
});

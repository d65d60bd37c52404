/**
 * API keys through the real handlers on DynamoDB Local: create, list, revoke,
 * expiry, rotation, rights on the key routes, IAM callers, the SDK's admin
 * methods, and what a key lookup, a create and a revoke cost.
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../functions/auth/ApiKeyStore.js';
import { keyRoutes } from '../../functions/auth/keyRoutes.js';
import { hashSecret } from '../../functions/auth/secrets.js';
import type { BrookConfig } from '../../functions/config.js';
import { createHttpHandler, type BrookHttpHandler } from '../../functions/http/httpHandler.js';
import type { Logger } from '../../functions/http/logger.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { requestCounts } from '../../functions/storage/requestMeter.js';
import { TopicRegistry } from '../../functions/topics/TopicRegistry.js';
import { topicRoutes } from '../../functions/topics/topicRoutes.js';
import { Brook, BrookError, type FetchLike } from '../../sdk/index.js';
import { apiEvent, invoke, lambdaContext, type ApiRequest, type ApiResponse } from '../helpers/apiEvent.js';
import { brookUnderTest, TEST_ADMIN_KEY, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { putTestKey } from '../helpers/keys.js';
import { createTestConfig } from '../helpers/testConfig.js';

/** Long enough that a test passing proves the cache was invalidated, not that it expired. */
const LONG_CACHE_MS = 60_000;

let config: BrookConfig;
let brook: BrookUnderTest;
/** A keys handler and a topics handler with their own stores, caching for a minute, as two warm handlers of one process. */
let keysHandler: BrookHttpHandler;
let topicsHandler: BrookHttpHandler;
const logLines: string[] = [];

const unique = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

const capturingLogger: Logger = {
  debug: (message, extra) => logLines.push(JSON.stringify({ message, extra })),
  info: (message, extra) => logLines.push(JSON.stringify({ message, extra })),
  warn: (message, extra) => logLines.push(JSON.stringify({ message, extra })),
  error: (message, extra) => logLines.push(JSON.stringify({ message, extra })),
};

const callKeys = (request: ApiRequest) => invoke(keysHandler, { apiKey: TEST_ADMIN_KEY, ...request });
const listTopicsWith = (apiKey: string) => invoke(topicsHandler, { method: 'GET', path: '/v1/topics', apiKey });

/** Every secret handed out in this file: none may show up in a log line. */
const secretsSeen: string[] = [];

async function createKey(body: unknown, apiKey = TEST_ADMIN_KEY): Promise<ApiResponse> {
  const response = await callKeys({ method: 'POST', path: '/v1/keys', body, apiKey });
  if (typeof response.body?.secret === 'string') secretsSeen.push(response.body.secret);
  return response;
}

async function listKeys(): Promise<{ keyId: string; principal: string }[]> {
  const listed = await callKeys({ method: 'GET', path: '/v1/keys' });
  expect(listed.status).toBe(200);
  return listed.body.keys;
}

/** An API Gateway event as the IAM authorizer passes it: no bearer key, the caller's ARN in the request context. */
function iamEvent(request: ApiRequest, userArn: string): APIGatewayProxyEventV2 {
  const event = apiEvent(request);
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
    iam: {
      accessKey: 'ASIAEXAMPLE',
      accountId: '123456789012',
      callerId: 'AROAEXAMPLE:session',
      cognitoIdentity: null,
      principalOrgId: 'o-example',
      userArn,
      userId: 'AROAEXAMPLE:session',
    },
  };
  return event;
}

async function callAsIam(handler: BrookHttpHandler, request: ApiRequest, userArn: string): Promise<ApiResponse> {
  const response = await handler(iamEvent(request, userArn), lambdaContext());
  return { status: response.statusCode, headers: response.headers, body: response.body === undefined ? undefined : JSON.parse(response.body) };
}

beforeAll(async () => {
  config = await createTestConfig();
  brook = await brookUnderTest(config);
  const doc = createDocumentClient(config);
  const keysStore = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: LONG_CACHE_MS });
  const topicsStore = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: LONG_CACHE_MS });
  keysHandler = createHttpHandler({ routes: keyRoutes(keysStore), keys: keysStore, logger: capturingLogger });
  topicsHandler = createHttpHandler({ routes: topicRoutes(new TopicRegistry(doc, config.tables)), keys: topicsStore, logger: capturingLogger });
});

describe('POST /v1/keys', () => {
  it('creates a key, shows its secret once and stores only its hash', async () => {
    const permissions = [{ resource: 'topic:orders', operations: ['read', 'write'] }];
    const created = await createKey({ principal: 'billing-service', permissions });

    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['expiresAt', 'keyId', 'permissions', 'principal', 'secret']);
    expect(created.body).toMatchObject({ principal: 'billing-service', permissions, expiresAt: null });
    expect(created.body.keyId).toMatch(/^key_[0-9a-f]{16}$/);
    expect(created.body.secret).toMatch(/^brook_[A-Za-z0-9_-]{43}$/);
    // The key works at once, with its permissions.
    expect((await listTopicsWith(created.body.secret)).status).toBe(200);
    // Nothing in the table holds the secret.
    const items = (await createDocumentClient(config).send(new ScanCommand({ TableName: config.tables.keys, ConsistentRead: true }))).Items ?? [];
    expect(JSON.stringify(items)).not.toContain(created.body.secret);
    expect(JSON.stringify(items)).not.toContain(created.body.secret.slice('brook_'.length));
    // And no log line either.
    expect(logLines.join('\n')).not.toContain(created.body.secret);
  });

  it('refuses an expiry in the past with 400 INVALID_REQUEST and creates nothing', async () => {
    const before = (await listKeys()).length;
    for (const expiresAt of [Date.now() - 1000, 0]) {
      const refused = await createKey({ principal: 'late', permissions: [], expiresAt });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(refused.body.error.message).toMatch(/expiresAt/);
    }
    expect((await listKeys()).length).toBe(before);
  });

  it('refuses malformed bodies with 400 INVALID_REQUEST', async () => {
    const valid = { principal: 'p', permissions: [{ resource: 'cluster', operations: ['describe'] }] };
    const cases: [string, unknown][] = [
      ['no body', undefined],
      ['no principal', { permissions: [] }],
      ['empty principal', { ...valid, principal: '' }],
      ['control characters in principal', { ...valid, principal: 'a\nb' }],
      ['no permissions', { principal: 'p' }],
      ['unknown resource kind', { ...valid, permissions: [{ resource: 'table:x', operations: ['read'] }] }],
      ['bad topic name', { ...valid, permissions: [{ resource: 'topic:a/b', operations: ['read'] }] }],
      ['star inside a name', { ...valid, permissions: [{ resource: 'topic:a*b', operations: ['read'] }] }],
      ['unknown operation', { ...valid, permissions: [{ resource: 'cluster', operations: ['delete'] }] }],
      ['no operations', { ...valid, permissions: [{ resource: 'cluster', operations: [] }] }],
      ['unknown field', { ...valid, role: 'admin' }],
      ['fractional expiry', { ...valid, expiresAt: Date.now() + 1000.5 }],
      ['expiry as a string', { ...valid, expiresAt: '2030-01-01' }],
    ];
    for (const [name, body] of cases) {
      const response = await callKeys({ method: 'POST', path: '/v1/keys', ...(body === undefined ? {} : { body }) });
      expect([response.status, response.body.error.code], name).toEqual([400, 'INVALID_REQUEST']);
    }
  });

  it('accepts every resource form of the contract', async () => {
    const permissions = [
      { resource: 'cluster', operations: ['describe'] },
      { resource: 'topic:orders', operations: ['read'] },
      { resource: 'topic:orders.*', operations: ['write'] },
      { resource: 'topic:*', operations: ['describe'] },
      { resource: 'group:billing', operations: ['read'] },
      { resource: 'group:app-*', operations: ['admin'] },
    ];
    const created = await createKey({ principal: 'all-forms', permissions, expiresAt: Date.now() + 3_600_000 });
    expect(created.status).toBe(201);
    expect(created.body.permissions).toEqual(permissions);
  });
});

describe('GET /v1/keys', () => {
  it('lists keys with ids, principals, permissions and dates, never a secret or a hash', async () => {
    const expiresAt = Date.now() + 3_600_000;
    const created = (await createKey({ principal: 'lister', permissions: [{ resource: 'group:g', operations: ['read'] }], expiresAt })).body;

    const listed = await callKeys({ method: 'GET', path: '/v1/keys' });

    expect(listed.status).toBe(200);
    const entry = listed.body.keys.find((key: { keyId: string }) => key.keyId === created.keyId);
    expect(entry).toEqual({ keyId: created.keyId, principal: 'lister', permissions: created.permissions, expiresAt, createdAt: expect.any(Number) });
    for (const key of listed.body.keys) expect(Object.keys(key).sort()).toEqual(['createdAt', 'expiresAt', 'keyId', 'permissions', 'principal']);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.secret);
    expect(text).not.toMatch(/[0-9a-f]{64}/); // no SHA-256 of any secret
    // The bootstrap admin key is listed too (its secret is not).
    expect(text).not.toContain(TEST_ADMIN_KEY);
  });
});

describe('DELETE /v1/keys/{keyId}', () => {
  it('revokes a key at once, even for a handler that cached it a moment ago', async () => {
    const created = (await createKey({ principal: 'leaving', permissions: [{ resource: 'cluster', operations: ['describe'] }] })).body;
    expect((await listTopicsWith(created.secret)).status).toBe(200); // now cached by the topics handler for a minute

    const revoked = await callKeys({ method: 'DELETE', path: `/v1/keys/${created.keyId}` });

    expect(revoked.status).toBe(204);
    expect(revoked.body).toBeUndefined();
    const refused = await listTopicsWith(created.secret);
    expect([refused.status, refused.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await listKeys()).map((key) => key.keyId)).not.toContain(created.keyId);
  });

  it('with the default cache (0 ms), a revoke made in another container is refused on the next request; a deployment that raises it accepts that delay', async () => {
    // Prepare: a key, looked up (and so cached) by a store with the default TTL and by one caching for a minute
    const created = (await createKey({ principal: 'elsewhere', permissions: [{ resource: 'cluster', operations: ['describe'] }] })).body;
    const doc = createDocumentClient(config);
    const byDefault = new ApiKeyStore(doc, config.tables.keys);
    const longCache = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: LONG_CACHE_MS });
    expect(await byDefault.authenticate(created.secret)).toMatchObject({ keyId: created.keyId });
    expect(await longCache.authenticate(created.secret)).toMatchObject({ keyId: created.keyId });

    // Act: the item goes away without this process hearing of it (the revoke ran in another Lambda container)
    await doc.send(new DeleteCommand({ TableName: config.tables.keys, Key: { pk: hashSecret(created.secret) } }));

    // Assess (the long cache first: the two stores share this process's cache, and a miss clears it)
    expect(await longCache.authenticate(created.secret)).toMatchObject({ keyId: created.keyId });
    expect(await byDefault.authenticate(created.secret)).toBeUndefined();
  });

  it('answers 404 NOT_FOUND for an unknown or already revoked key', async () => {
    const created = (await createKey({ principal: 'twice', permissions: [] })).body;
    expect((await callKeys({ method: 'DELETE', path: `/v1/keys/${created.keyId}` })).status).toBe(204);

    for (const keyId of [created.keyId, 'key_0000000000000000', 'not-a-key-id']) {
      const response = await callKeys({ method: 'DELETE', path: `/v1/keys/${keyId}` });
      expect([response.status, response.body.error.code], keyId).toEqual([404, 'NOT_FOUND']);
    }
  });

  it('revokes keys written before key creation existed (by the test helper and the bootstrap)', async () => {
    const secret = unique('helper-key');
    await putTestKey(config, secret, [{ resource: 'cluster', operations: ['describe'] }]);
    const entry = (await listKeys()).find((key) => key.principal === 'test');
    expect(entry).toBeDefined();
    expect((await callKeys({ method: 'DELETE', path: `/v1/keys/${entry!.keyId}` })).status).toBe(204);
    expect((await listTopicsWith(secret)).status).toBe(401);
  });
});

describe('expiry and rotation', () => {
  it('refuses an expired key with 401, even from a warm cache', async () => {
    const created = (await createKey({ principal: 'short-lived', permissions: [{ resource: 'cluster', operations: ['describe'] }], expiresAt: Date.now() + 400 })).body;
    expect((await listTopicsWith(created.secret)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 500));

    const refused = await listTopicsWith(created.secret);
    expect([refused.status, refused.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    // An expired key stays listed (with its date) until it is revoked.
    expect((await listKeys()).map((key) => key.keyId)).toContain(created.keyId);
  });

  it('gives a principal several keys, so that one can be rotated out while the other works', async () => {
    const principal = unique('rotating-service');
    const permissions = [{ resource: 'topic:orders', operations: ['read'] }];
    const oldKey = (await createKey({ principal, permissions })).body;
    const newKey = (await createKey({ principal, permissions })).body;
    expect(newKey.keyId).not.toBe(oldKey.keyId);
    expect(newKey.secret).not.toBe(oldKey.secret);
    expect((await listKeys()).filter((key) => key.principal === principal)).toHaveLength(2);

    expect((await callKeys({ method: 'DELETE', path: `/v1/keys/${oldKey.keyId}` })).status).toBe(204);

    expect((await listTopicsWith(oldKey.secret)).status).toBe(401);
    expect((await listTopicsWith(newKey.secret)).status).toBe(200);
  });
});

describe('rights on the key routes', () => {
  it('lets only admin on cluster create, list or revoke keys, and a refused request changes nothing', async () => {
    const victim = (await createKey({ principal: 'victim', permissions: [{ resource: 'cluster', operations: ['describe'] }] })).body;
    const before = await listKeys();
    const almostAdmin = unique('almost-admin');
    await putTestKey(config, almostAdmin, [
      { resource: 'topic:*', operations: ['read', 'write', 'describe', 'admin'] },
      { resource: 'group:*', operations: ['read', 'write', 'describe', 'admin'] },
      { resource: 'cluster', operations: ['read', 'write', 'describe'] },
    ]);
    const afterHelperKey = await listKeys();
    expect(afterHelperKey.length).toBe(before.length + 1);

    const create = await createKey({ principal: 'escalated', permissions: [{ resource: 'cluster', operations: ['admin'] }] }, almostAdmin);
    const list = await callKeys({ method: 'GET', path: '/v1/keys', apiKey: almostAdmin });
    const revoke = await callKeys({ method: 'DELETE', path: `/v1/keys/${victim.keyId}`, apiKey: almostAdmin });

    for (const response of [create, list, revoke]) expect([response.status, response.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await listKeys()).toEqual(afterHelperKey);
    expect((await listTopicsWith(victim.secret)).status).toBe(200);
  });

  it('needs a key: 401 without one', async () => {
    const response = await invoke(keysHandler, { method: 'GET', path: '/v1/keys' });
    expect([response.status, response.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('IAM callers (stage setting auth: iam)', () => {
  const account = '123456789012';
  const roleArn = (role: string) => `arn:aws:iam::${account}:role/${role}`;
  const sessionArn = (role: string) => `arn:aws:sts::${account}:assumed-role/${role}/session-${randomBytes(2).toString('hex')}`;

  it('gives an assumed-role caller the permissions granted to its role, and 403 without grants', async () => {
    const role = unique('OrdersReader');
    const listAsIam = () => callAsIam(topicsHandler, { method: 'GET', path: '/v1/topics/orders' }, sessionArn(role));

    const before = await listAsIam();
    expect([before.status, before.body.error.code]).toEqual([403, 'FORBIDDEN']);

    const grant = (await createKey({ principal: roleArn(role), permissions: [{ resource: 'topic:orders', operations: ['describe'] }] })).body;
    expect(grant.principal).toBe(roleArn(role));

    const allowed = await listAsIam(); // describe is granted: the topic does not exist, so 404 rather than 403
    expect([allowed.status, allowed.body.error.code]).toEqual([404, 'TOPIC_NOT_FOUND']);
    const otherTopic = await callAsIam(topicsHandler, { method: 'GET', path: '/v1/topics/payments' }, sessionArn(role));
    expect([otherTopic.status, otherTopic.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const create = await callAsIam(topicsHandler, { method: 'POST', path: '/v1/topics', body: { name: 'orders' } }, sessionArn(role));
    expect([create.status, create.body.error.code]).toEqual([403, 'FORBIDDEN']);

    expect((await callKeys({ method: 'DELETE', path: `/v1/keys/${grant.keyId}` })).status).toBe(204);

    const after = await listAsIam();
    expect([after.status, after.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('moves the bootstrap admin key to an IAM role when a stage switches to auth iam (same secret, new principal)', async () => {
    // Prepare: an admin key registered for the plain principal, as an apiKey stage's bootstrap does
    const store = new ApiKeyStore(createDocumentClient(config), config.tables.keys);
    const secret = `brook_${randomBytes(32).toString('base64url')}`;
    const first = await store.ensureAdminKey(secret);
    const role = roleArn(unique('Operators'));

    // Act: the next deploy names an admin role
    const moved = await store.ensureAdminKey(secret, role);
    const again = await store.ensureAdminKey(secret, role);

    // Assess: the role is an admin over SigV4; the key id changed once, then stays
    expect(moved.keyId).not.toBe(first.keyId);
    expect(again.keyId).toBe(moved.keyId);
    const asRole = await callAsIam(keysHandler, { method: 'GET', path: '/v1/keys' }, sessionArn(role.split('/').pop()!));
    expect(asRole.status).toBe(200);
    expect((await store.authenticate(secret))?.principal).toBe(role);
  });

  it('adds up the grants of several keys, ignores expired ones, and matches a role granted with a path', async () => {
    const role = unique('Ops');
    await createKey({ principal: `arn:aws:iam::${account}:role/team/${role}`, permissions: [{ resource: 'topic:a', operations: ['describe'] }] });
    await createKey({ principal: roleArn(role), permissions: [{ resource: 'topic:b', operations: ['describe'] }] });
    await createKey({ principal: roleArn(role), permissions: [{ resource: 'topic:c', operations: ['describe'] }], expiresAt: Date.now() + 300 });
    await new Promise((resolve) => setTimeout(resolve, 400));

    const status = async (topic: string) => (await callAsIam(topicsHandler, { method: 'GET', path: `/v1/topics/${topic}` }, sessionArn(role))).status;

    expect(await status('a')).toBe(404);
    expect(await status('b')).toBe(404);
    expect(await status('c')).toBe(403);
  });

  it('lets an IAM admin manage keys, and ignores a bearer header next to the IAM identity', async () => {
    const role = unique('BrookAdmin');
    await createKey({ principal: roleArn(role), permissions: [{ resource: 'cluster', operations: ['admin'] }] });
    const created = await callAsIam(keysHandler, { method: 'POST', path: '/v1/keys', body: { principal: 'from-iam', permissions: [] } }, sessionArn(role));
    expect(created.status).toBe(201);

    const stranger = await callAsIam(keysHandler, { method: 'GET', path: '/v1/keys', apiKey: TEST_ADMIN_KEY }, sessionArn(unique('Stranger')));
    expect([stranger.status, stranger.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('SDK: Admin key methods', () => {
  /** The SDK's fetch, answered by the real handlers (no HTTP server needed). */
  const handlerFetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const response = await invoke(brook.handler, {
      method: init.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      ...(typeof init.body === 'string' ? { rawBody: init.body } : {}),
      headers,
    });
    return new Response(response.body === undefined ? null : JSON.stringify(response.body), { status: response.status, headers: response.headers });
  };

  it('creates, lists and revokes keys', async () => {
    const admin = new Brook({ url: 'http://brook.test', apiKey: TEST_ADMIN_KEY, fetch: handlerFetch, retry: { maxRetries: 0 } }).admin();
    const expiresAt = Date.now() + 3_600_000;

    const created = await admin.createKey({ principal: 'sdk-user', permissions: [{ resource: 'topic:orders', operations: ['read'] }], expiresAt });
    expect(created).toMatchObject({ principal: 'sdk-user', expiresAt, permissions: [{ resource: 'topic:orders', operations: ['read'] }] });
    expect(created.secret).toMatch(/^brook_/);

    const listed = await admin.listKeys();
    expect(listed.find((key) => key.keyId === created.keyId)).toEqual({
      keyId: created.keyId,
      principal: 'sdk-user',
      permissions: created.permissions,
      expiresAt,
      createdAt: expect.any(Number),
    });

    await admin.revokeKey(created.keyId);
    expect((await admin.listKeys()).map((key) => key.keyId)).not.toContain(created.keyId);
    const again = await admin.revokeKey(created.keyId).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(BrookError);
    expect((again as BrookError).code).toBe('NOT_FOUND');
  });
});

describe('request units', () => {
  it('counts what a key lookup, a create and a revoke cost', async () => {
    const doc = createDocumentClient(config);
    const store = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: 0 });
    const measure = async (action: () => Promise<unknown>) => {
      const start = requestCounts();
      await action();
      const end = requestCounts();
      return { reads: end.dynamoDbReadUnits - start.dynamoDbReadUnits, writes: end.dynamoDbWriteUnits - start.dynamoDbWriteUnits, requests: end.dynamoDbRequests - start.dynamoDbRequests };
    };
    const permissions = [{ resource: 'topic:orders', operations: ['read' as const] }];
    let created: Awaited<ReturnType<ApiKeyStore['createKey']>> | undefined;
    const create = await measure(async () => (created = await store.createKey({ principal: 'cost', permissions })));
    const lookup = await measure(() => store.authenticate(created!.secret));
    const revoke = await measure(() => store.revokeKey(created!.key.keyId));
    let iamCreated: Awaited<ReturnType<ApiKeyStore['createKey']>> | undefined;
    const iamCreate = await measure(async () => (iamCreated = await store.createKey({ principal: 'arn:aws:iam::123456789012:role/Cost', permissions })));
    const iamLookup = await measure(() => store.authenticateIam('arn:aws:sts::123456789012:assumed-role/Cost/s'));
    const iamRevoke = await measure(() => store.revokeKey(iamCreated!.key.keyId));

    // Items are well under 1 KB. A strongly consistent GetItem is 1 RCU; a PutItem or DeleteItem is
    // 1 WCU on the table plus 1 WCU on the byKeyId index; the revoke's index Query is 0.5 RCU
    // (eventually consistent). DynamoDB Local reports all of these as the service bills them.
    expect(lookup).toEqual({ reads: 1, writes: 0, requests: 1 });
    expect(create).toEqual({ reads: 0, writes: 2, requests: 1 });
    expect(revoke).toEqual({ reads: 0.5, writes: 2, requests: 2 });
    expect(iamLookup).toEqual({ reads: 1, writes: 0, requests: 1 });
    // An IAM principal's key is one 2-item transaction (key + grant: 2 x 2 WCU, plus 1 WCU on the index):
    // 5 WCU as billed; DynamoDB Local reports a transactional write at 1x where AWS bills 2x, so only calls are checked.
    expect(iamCreate).toMatchObject({ reads: 0, requests: 1 });
    expect(iamRevoke).toMatchObject({ reads: 0.5, requests: 2 });
  });
});

describe('key material in logs', () => {
  it('logged no secret, no hash and no Authorization header in this whole file', async () => {
    // One more request whose failure is logged: storage gone, with a valid key in the header.
    const doc = createDocumentClient({ region: 'us-east-1', dynamoDbEndpoint: 'http://127.0.0.1:9' });
    const broken = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: 0 });
    const failing = createHttpHandler({ routes: keyRoutes(broken), keys: broken, logger: capturingLogger });
    const response = await invoke(failing, { method: 'GET', path: '/v1/keys', apiKey: secretsSeen[0]! });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(logLines.length).toBeGreaterThan(0);

    const logged = logLines.join('\n');
    expect(secretsSeen.length).toBeGreaterThan(10);
    for (const secret of [...secretsSeen, TEST_ADMIN_KEY]) {
      expect(logged).not.toContain(secret);
      expect(logged).not.toContain(hashSecret(secret));
    }
    expect(logged.toLowerCase()).not.toContain('bearer');
  });
});

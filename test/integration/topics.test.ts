import { beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../functions/auth/ApiKeyStore.js';
import type { BrookConfig } from '../../functions/config.js';
import { createHttpHandler, type BrookHttpHandler } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { TopicRegistry } from '../../functions/topics/TopicRegistry.js';
import { topicRoutes } from '../../functions/topics/topicRoutes.js';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { HEAD_SORT_KEY, logPartitionKey } from '../../functions/layout/tables.js';
import { invoke, type ApiRequest } from '../helpers/apiEvent.js';
import { createTestConfig } from '../helpers/testConfig.js';

const ADMIN_KEY = 'topics-test-admin-key';

describe('topics: the routes through the real handler, on DynamoDB Local', () => {
  let config: BrookConfig;
  let handler: BrookHttpHandler;
  let keyStore: ApiKeyStore;
  const call = (request: ApiRequest) => invoke(handler, { apiKey: ADMIN_KEY, ...request });

  beforeAll(async () => {
    config = await createTestConfig();
    const doc = createDocumentClient(config);
    keyStore = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: 0 });
    await keyStore.ensureAdminKey(ADMIN_KEY);
    handler = createHttpHandler({
      routes: topicRoutes(new TopicRegistry(doc, config.tables)),
      keys: keyStore,
      logger: silentLogger,
    });
  });

  it('creates a topic with defaults and describes it', async () => {
    const created = await call({ method: 'POST', path: '/v1/topics', body: { name: 'orders', partitions: 3 } });

    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'orders',
      config: { retentionMs: 604800000, retentionBytes: -1, cleanupPolicy: 'delete', maxMessageBytes: 1048576 },
      partitions: [0, 1, 2].map((partition) => ({ partition, logStartOffset: 0, highWatermark: 0 })),
    });
    const described = await call({ method: 'GET', path: '/v1/topics/orders' });
    expect(described).toMatchObject({ status: 200, body: created.body });
  });

  it('keeps the config it is given and defaults partitions to 1', async () => {
    const created = await call({
      method: 'POST',
      path: '/v1/topics',
      body: { name: 'users.compacted', config: { cleanupPolicy: 'compact', retentionMs: -1, maxMessageBytes: 2048 } },
    });
    expect(created.status).toBe(201);
    expect(created.body.config).toEqual({ retentionMs: -1, retentionBytes: -1, cleanupPolicy: 'compact', maxMessageBytes: 2048 });
    expect(created.body.partitions).toHaveLength(1);
  });

  it('refuses a duplicate with 409 TOPIC_EXISTS and keeps the first', async () => {
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'dup', partitions: 2 } });
    const again = await call({ method: 'POST', path: '/v1/topics', body: { name: 'dup', partitions: 5 } });

    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('TOPIC_EXISTS');
    expect((await call({ method: 'GET', path: '/v1/topics/dup' })).body.partitions).toHaveLength(2);
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(250)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a hash', 'a#b'],
    ['dot', '.'],
    ['dot dot', '..'],
    ['not a string', 7],
    ['missing', undefined],
  ])('refuses a name that is %s with 400 INVALID_TOPIC', async (_label, name) => {
    const response = await call({ method: 'POST', path: '/v1/topics', body: { name, partitions: 1 } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_TOPIC');
  });

  it('accepts the longest legal name', async () => {
    const name = `${'a'.repeat(240)}.b_c-D.9`;
    const response = await call({ method: 'POST', path: '/v1/topics', body: { name } });
    expect(response.status).toBe(201);
  });

  it.each([
    ['zero partitions', { partitions: 0 }],
    ['1001 partitions', { partitions: 1001 }],
    ['fractional partitions', { partitions: 1.5 }],
    ['partitions as a string', { partitions: '3' }],
    ['an unknown config key', { config: { 'retention.ms': 5 } }],
    ['retentionMs below -1', { config: { retentionMs: -2 } }],
    ['retentionBytes as a string', { config: { retentionBytes: '1' } }],
    ['an unknown cleanup policy', { config: { cleanupPolicy: 'archive' } }],
    ['maxMessageBytes of 0', { config: { maxMessageBytes: 0 } }],
    ['config that is not an object', { config: [] }],
  ])('refuses %s with 400 INVALID_CONFIG', async (_label, fields) => {
    const response = await call({ method: 'POST', path: '/v1/topics', body: { name: 'bad-config', ...fields } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_CONFIG');
    expect((await call({ method: 'GET', path: '/v1/topics/bad-config' })).status).toBe(404);
  });

  it('lists topics by name', async () => {
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'zeta', partitions: 4 } });
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'alpha' } });

    const listed = await call({ method: 'GET', path: '/v1/topics' });

    expect(listed.status).toBe(200);
    const names = listed.body.topics.map((t: { name: string }) => t.name);
    expect(names).toEqual([...names].sort());
    expect(listed.body.topics).toEqual(expect.arrayContaining([{ name: 'zeta', partitions: 4 }, { name: 'alpha', partitions: 1 }]));
  });

  it('answers 404 TOPIC_NOT_FOUND for a missing topic on describe, alter and delete', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response = await call({ method, path: '/v1/topics/never-made', ...(method === 'PATCH' ? { body: { partitions: 2 } } : {}) });
      expect(response.status, method).toBe(404);
      expect(response.body.error.code).toBe('TOPIC_NOT_FOUND');
    }
  });

  it('answers 400 INVALID_TOPIC for a path name that breaks the rule', async () => {
    const response = await call({ method: 'GET', path: `/v1/topics/${encodeURIComponent('a b')}` });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_TOPIC');
  });

  it('grows partitions and changes config; null restores a default', async () => {
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'growing', partitions: 2, config: { retentionMs: 1000 } } });

    const altered = await call({
      method: 'PATCH',
      path: '/v1/topics/growing',
      body: { partitions: 5, config: { retentionMs: null, cleanupPolicy: 'compact' } },
    });

    expect(altered.status).toBe(200);
    expect(altered.body.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    expect(altered.body.config).toMatchObject({ retentionMs: 604800000, cleanupPolicy: 'compact' });
    expect((await call({ method: 'GET', path: '/v1/topics/growing' })).body).toEqual(altered.body);
  });

  it('refuses fewer partitions with 400 INVALID_CONFIG and changes nothing', async () => {
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'shrinking', partitions: 3 } });

    const response = await call({ method: 'PATCH', path: '/v1/topics/shrinking', body: { partitions: 2, config: { retentionMs: 5 } } });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_CONFIG');
    const after = await call({ method: 'GET', path: '/v1/topics/shrinking' });
    expect(after.body.partitions).toHaveLength(3);
    expect(after.body.config.retentionMs).toBe(604800000);
  });

  it('keeps every change of concurrent alters', async () => {
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'contended' } });

    const responses = await Promise.all([
      call({ method: 'PATCH', path: '/v1/topics/contended', body: { config: { retentionMs: 1234 } } }),
      call({ method: 'PATCH', path: '/v1/topics/contended', body: { config: { maxMessageBytes: 4096 } } }),
      call({ method: 'PATCH', path: '/v1/topics/contended', body: { config: { cleanupPolicy: 'compact' } } }),
    ]);

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const after = await call({ method: 'GET', path: '/v1/topics/contended' });
    expect(after.body.config).toEqual({ retentionMs: 1234, retentionBytes: -1, cleanupPolicy: 'compact', maxMessageBytes: 4096 });
  });

  it('deletes a topic; the name can be created again at once and starts empty', async () => {
    const doc = createDocumentClient(config);
    await call({ method: 'POST', path: '/v1/topics', body: { name: 'reborn', partitions: 2 } });
    const registry = new TopicRegistry(doc, config.tables);
    const old = await registry.get('reborn');
    await doc.send(new PutCommand({ TableName: config.tables.log, Item: { pk: logPartitionKey(old.topicId, 0), sk: HEAD_SORT_KEY, next: 42, start: 0 } }));
    expect((await call({ method: 'GET', path: '/v1/topics/reborn' })).body.partitions[0].highWatermark).toBe(42);

    const deleted = await call({ method: 'DELETE', path: '/v1/topics/reborn' });
    expect(deleted.status).toBe(204);
    expect((await call({ method: 'GET', path: '/v1/topics/reborn' })).status).toBe(404);
    expect((await call({ method: 'GET', path: '/v1/topics' })).body.topics.map((t: { name: string }) => t.name)).not.toContain('reborn');

    const recreated = await call({ method: 'POST', path: '/v1/topics', body: { name: 'reborn', partitions: 1 } });
    expect(recreated.status).toBe(201);
    expect(recreated.body.partitions).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 0 }]);
    expect((await call({ method: 'DELETE', path: '/v1/topics/reborn' })).status).toBe(204);
    expect((await call({ method: 'DELETE', path: '/v1/topics/reborn' })).status).toBe(404);
  });

  it('refuses every topic route without a key or with a wrong one', async () => {
    const requests: ApiRequest[] = [
      { method: 'POST', path: '/v1/topics', body: { name: 'sneaky' } },
      { method: 'GET', path: '/v1/topics' },
      { method: 'GET', path: '/v1/topics/orders' },
      { method: 'PATCH', path: '/v1/topics/orders', body: { partitions: 10 } },
      { method: 'DELETE', path: '/v1/topics/orders' },
    ];
    for (const request of requests) {
      for (const apiKey of [undefined, 'wrong-key', `${ADMIN_KEY} `.trim() + 'x']) {
        const response = await invoke(handler, { ...request, ...(apiKey ? { apiKey } : {}) });
        expect(response.status, `${request.method} ${request.path} key=${apiKey}`).toBe(401);
        expect(response.body.error.code).toBe('UNAUTHENTICATED');
      }
    }
    expect((await call({ method: 'GET', path: '/v1/topics/sneaky' })).status).toBe(404);
    expect((await call({ method: 'GET', path: '/v1/topics/orders' })).body.partitions).toHaveLength(3);
  });
});

/**
 * The storage clients' retries and time limits (functions/storage/callLimits.ts)
 * against DynamoDB Local behind the fault proxy: a call storage does not
 * answer is ended by its request timeout and tried again; a request whose
 * Lambda is about to time out answers 503 TIMEOUT in time and its storage
 * calls are aborted, and when a write it had sent lands late anyway the log
 * stays valid.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { DYNAMODB_CALL_LIMITS, S3_CALL_LIMITS } from '../../functions/storage/callLimits.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { createS3Client } from '../../functions/storage/s3Client.js';
import { ensureBucket, ensureTables, localConfig } from '../../local/setup.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { startStorageProxy, type StorageProxy } from '../helpers/storageProxy.js';
import { emulatorEndpoints } from '../helpers/testConfig.js';

let dynamo: StorageProxy;
let config: BrookConfig;
let brook: BrookUnderTest;

beforeAll(async () => {
  const upstream = emulatorEndpoints();
  dynamo = await startStorageProxy('dynamodb', upstream.dynamoDbEndpoint);
  config = localConfig({ prefix: `brook-l-${randomBytes(5).toString('hex')}`, dynamoDbEndpoint: dynamo.endpoint, s3Endpoint: upstream.s3Endpoint, keyCacheTtlMs: 0 });
  await Promise.all([ensureTables(config), ensureBucket(config)]);
  brook = await brookUnderTest(config);
});

afterAll(async () => {
  await dynamo?.stop();
});

describe('storage calls: retries and time limits', () => {
  it('both clients use standard retries with 3 attempts and throw on a request timeout', async () => {
    const doc = createDocumentClient(config);
    const s3 = createS3Client(config);
    expect(await doc.config.maxAttempts()).toBe(DYNAMODB_CALL_LIMITS.maxAttempts);
    expect(await s3.config.maxAttempts()).toBe(S3_CALL_LIMITS.maxAttempts);
    const handlerConfig = (await (doc.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider);
    expect(handlerConfig).toMatchObject({ requestTimeout: DYNAMODB_CALL_LIMITS.requestTimeoutMs, throwOnRequestTimeout: true });
  });

  it('a call storage holds past the request timeout is ended and tried again', async () => {
    const doc = createDocumentClient(config);
    dynamo.setRules([{ operation: 'ListTables', nth: 1, action: { kind: 'delay', ms: DYNAMODB_CALL_LIMITS.requestTimeoutMs + 1_500 } }]);
    const started = Date.now();
    try {
      await doc.send(new ListTablesCommand({ Limit: 1 }));
      const took = Date.now() - started;
      expect(dynamo.stats().calls).toBe(2);
      expect(took).toBeGreaterThanOrEqual(DYNAMODB_CALL_LIMITS.requestTimeoutMs);
      expect(took).toBeLessThan(DYNAMODB_CALL_LIMITS.requestTimeoutMs + 1_500);
    } finally {
      dynamo.setRules([]);
    }
  });

  it('a produce whose Lambda is about to time out answers 503 TIMEOUT in time; its late write leaves the log valid', async () => {
    const topic = `limits-${randomBytes(3).toString('hex')}`;
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 1 } })).status).toBe(201);
    const produce = (value: string, lambdaTimeoutMs?: number) =>
      brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value, partition: 0 }] }, ...(lambdaTimeoutMs ? { lambdaTimeoutMs } : {}) });
    expect((await produce('before')).status).toBe(200);

    // Storage holds the log item's put for 1.5 s (then performs it); the Lambda has 1.2 s left.
    dynamo.setRules([{ operation: 'PutItem', table: '-log', action: { kind: 'delay', ms: 1_500 } }]);
    const started = Date.now();
    const abandoned = await produce('abandoned', 1_200);
    const answeredAfter = Date.now() - started;
    dynamo.setRules([]);
    expect(abandoned.status).toBe(503);
    expect(abandoned.body.error).toMatchObject({ code: 'TIMEOUT', retriable: true });
    expect(answeredAfter).toBeLessThan(1_200 - 300); // half a second before the deadline

    await sleep(1_500); // the held put reaches DynamoDB now, after its request was answered
    const after = await produce('after');
    expect(after.status).toBe(200);
    const read = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0' } });
    const records = read.body.records as { offset: number; value: string }[];
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
    expect(records.map((r) => r.value).filter((v) => v !== 'abandoned')).toEqual(['before', 'after']);
    expect(records.filter((r) => r.value === 'abandoned').length).toBeLessThanOrEqual(1);
    expect(records.at(-1)!.offset).toBe(after.body.results[0].offset);
  });
});

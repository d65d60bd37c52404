/**
 * What the fault runs share: Brook's handlers over fresh tables whose
 * DynamoDB and S3 sit behind fault-injecting proxies (storageProxy.ts), the
 * "all together" mix of faults, and a reader of the whole log once faults
 * are off.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { ensureBucket, ensureTables, localConfig } from '../../local/setup.js';
import { brookUnderTest, type BrookUnderTest } from './brookHandlers.js';
import type { LoggedRecord } from './history.js';
import { startStorageProxy, type FaultRule, type StorageProxy } from './storageProxy.js';
import { emulatorEndpoints } from './testConfig.js';

export interface FaultyStack {
  dynamo: StorageProxy;
  s3: StorageProxy;
  config: BrookConfig;
  brook: BrookUnderTest;
  /** Applies one class of faults to both proxies (`{ dynamodb: [], s3: [] }`: none). */
  setFaults(faults: { dynamodb: readonly FaultRule[]; s3: readonly FaultRule[] }): void;
  stop(): Promise<void>;
}

/** Every fault at once, each on a share of the calls. */
export const ALL_TOGETHER: { dynamodb: FaultRule[]; s3: FaultRule[] } = {
  dynamodb: [
    { fraction: 0.1, action: { kind: 'throttle' } },
    { fraction: 0.08, action: { kind: 'reset' } },
    { fraction: 0.08, action: { kind: 'lostAnswer' } },
    { fraction: 0.1, action: { kind: 'delay', ms: 100 } },
  ],
  s3: [
    { fraction: 0.1, action: { kind: 'throttle' } },
    { fraction: 0.1, action: { kind: 'lostAnswer' } },
  ],
};

/**
 * Proxies seeded with `seeds`, a config on them (small subscription backoff so
 * retries run fast), tables and bucket, and the handlers with a small inline
 * limit so that S3 batches are in play.
 */
export async function startFaultyStack(prefix: string, seeds = { dynamodb: 17, s3: 19 }): Promise<FaultyStack> {
  const upstream = emulatorEndpoints();
  const dynamo = await startStorageProxy('dynamodb', upstream.dynamoDbEndpoint, { seed: seeds.dynamodb });
  const s3 = await startStorageProxy('s3', upstream.s3Endpoint, { seed: seeds.s3 });
  const config = localConfig({
    prefix: `${prefix}-${randomBytes(5).toString('hex')}`,
    dynamoDbEndpoint: dynamo.endpoint,
    s3Endpoint: s3.endpoint,
    keyCacheTtlMs: 0,
    subscriptionBackoffMs: 20,
  });
  await Promise.all([ensureTables(config), ensureBucket(config)]);
  const brook = await brookUnderTest(config, { log: { inlineBatchMaxBytes: 64 } });
  return {
    dynamo,
    s3,
    config,
    brook,
    setFaults(faults) {
      dynamo.setRules(faults.dynamodb);
      s3.setRules(faults.s3);
    },
    stop: async () => {
      await Promise.all([dynamo.stop(), s3.stop()]);
    },
  };
}

/** Every record of every partition, read from the start (with faults off). */
export async function readWholeLog(brook: BrookUnderTest, topic: string, partitions: number): Promise<LoggedRecord[]> {
  const log: LoggedRecord[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    for (let offset = 0; ; ) {
      const page = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/${partition}/records`, query: { offset: String(offset), maxRecords: '1000' } });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      const body = page.body as { records: { offset: number; value: string }[]; nextOffset: number; highWatermark: number };
      for (const record of body.records) log.push({ partition, offset: record.offset, value: record.value });
      if (body.nextOffset >= body.highWatermark) break;
      offset = body.nextOffset;
    }
  }
  return log;
}

/** How many times each value occurs. */
export function countBy(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

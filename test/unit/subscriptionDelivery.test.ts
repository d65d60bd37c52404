import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config.js';
import { readAnswer } from '../../functions/subscriptions/deliveryAnswer.js';
import { backoffDelay, firstBody, parkedRecord } from '../../functions/subscriptions/deliveryPolicy.js';
import { dispatchTrigger } from '../../functions/subscriptions/dispatchEvents.js';
import { deliveryIdOf } from '../../functions/subscriptions/Dispatcher.js';
import { SecretOpener } from '../../functions/subscriptions/secretOpener.js';
import { newSecretKeyPair, publicKeyOf, SecretSealer } from '../../functions/subscriptions/secretSealer.js';
import { checkWebhookAddresses, checkWebhookUrl, isBlockedAddress } from '../../functions/subscriptions/targetAddress.js';
import { deliverToWebhook } from '../../functions/subscriptions/webhookTarget.js';
import type { StoredRecord } from '../../protocol/recordBatch.js';
import { signDelivery, verifyDelivery } from '../../protocol/webhookSignature.js';

const text = (value: string) => new TextEncoder().encode(value);
const record = (offset: number, value: string, timestamp = 1_700_000_000_000): StoredRecord => ({ offset, key: null, value: text(value), headers: [], timestamp });
const ENVELOPE = { subscription: 's', topic: 't', partition: 0, attempt: 1 };

describe('Subscriptions: backoff', () => {
  it('doubles from the first delay to 60 times it, with up to a quarter of jitter taken off', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, 1000, none))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(backoffDelay(1, 1000, () => 1)).toBe(750);
    expect(backoffDelay(20, 1000, () => 0.5)).toBe(52_500);
  });
});

describe('Subscriptions: delivery bodies', () => {
  it('is the contract\'s JSON body, records as fetch shows them', () => {
    const { body, records } = firstBody(ENVELOPE, [record(4, 'a'), record(5, 'b')], 'utf8');
    expect(records.map((r) => r.offset)).toEqual([4, 5]);
    expect(JSON.parse(body)).toEqual({ ...ENVELOPE, records: [
      { offset: 4, timestamp: 1_700_000_000_000, key: null, value: 'a', headers: {} },
      { offset: 5, timestamp: 1_700_000_000_000, key: null, value: 'b', headers: {} },
    ] });
  });

  it('cuts a batch whose body would pass the limit, and always sends at least one record', () => {
    const big = 'x'.repeat(400);
    const all = [0, 1, 2, 3].map((offset) => record(offset, big));
    const cut = firstBody(ENVELOPE, all, 'utf8', 1200);
    const alone = firstBody(ENVELOPE, [record(0, 'y'.repeat(5000))], 'utf8', 1000);
    expect(cut.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(Buffer.byteLength(cut.body)).toBeLessThanOrEqual(1200);
    expect(JSON.parse(cut.body).records).toHaveLength(2);
    expect(alone.records).toHaveLength(1);
  });

  it('parks a record with its key, value and headers, plus where it came from and why', () => {
    const parked = parkedRecord({ ...record(7, 'v'), key: text('k'), headers: [{ name: 'trace', value: text('1') }, { name: 'brook-error', value: text('old') }] }, { topic: 'orders', partition: 2 }, 'boom');
    const headers = Object.fromEntries(parked.headers.map((h) => [h.name, new TextDecoder().decode(h.value)]));
    expect(headers).toEqual({ trace: '1', 'brook-source-topic': 'orders', 'brook-source-partition': '2', 'brook-source-offset': '7', 'brook-error': 'boom' });
    expect(new TextDecoder().decode(parked.key!)).toBe('k');
  });
});

describe('Subscriptions: delivery ids', () => {
  it('are the same for the same records of a subscription, and differ for any other batch', () => {
    const id = deliveryIdOf('sub-1', 0, 10, 20);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(deliveryIdOf('sub-1', 0, 10, 20)).toBe(id);
    expect(new Set([id, deliveryIdOf('sub-1', 0, 10, 21), deliveryIdOf('sub-1', 1, 10, 20), deliveryIdOf('sub-2', 0, 10, 20)]).size).toBe(4);
  });
});

describe('Subscriptions: answers', () => {
  const offsets = [10, 11, 12];
  it('takes no body, a non-object, or an empty failure list as the whole batch delivered', () => {
    for (const body of ['', 'OK', '{}', '{"batchItemFailures":[]}', '{"batchItemFailures":null}', '[1]']) {
      expect(readAnswer(body, offsets), body).toEqual({ kind: 'delivered' });
    }
  });
  it('resumes at the lowest offset listed, as string or number', () => {
    expect(readAnswer('{"batchItemFailures":[{"itemIdentifier":"12"},{"itemIdentifier":"11"}]}', offsets)).toEqual({ kind: 'partial', failedFrom: 11 });
    expect(readAnswer('{"batchItemFailures":[{"itemIdentifier":10}]}', offsets)).toEqual({ kind: 'partial', failedFrom: 10 });
  });
  it('fails the batch on an identifier that is not one of its offsets', () => {
    expect(readAnswer('{"batchItemFailures":[{"itemIdentifier":"99"}]}', offsets).kind).toBe('failed');
    expect(readAnswer('{"batchItemFailures":[{"itemIdentifier":""}]}', offsets).kind).toBe('failed');
    expect(readAnswer('{"batchItemFailures":"11"}', offsets).kind).toBe('failed');
  });
});

describe('Subscriptions: signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 and verifies within the tolerance only', () => {
    const header = signDelivery('whsec_test', '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyDelivery('whsec_test', '{"a":1}', header, 1_700_000_100)).toBe(true);
    expect(verifyDelivery('whsec_test', '{"a":2}', header, 1_700_000_100)).toBe(false);
    expect(verifyDelivery('whsec_test', '{"a":1}', header, 1_700_001_000)).toBe(false);
    expect(verifyDelivery('whsec_test', '{"a":1}', 'garbage', 1_700_000_000)).toBe(false);
  });
});

describe('Subscriptions: secrets at rest', () => {
  it('seals with the public key alone; only the private key opens, and a tampered seal does not', async () => {
    const pair = newSecretKeyPair();
    const sealer = new SecretSealer(pair.publicKey);
    const sealed = sealer.seal('whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(sealer.seal('whsec_abc')).not.toBe(sealed); // OAEP is randomized
    expect(await new SecretOpener(async () => pair.privateKey).open(sealed)).toBe('whsec_abc');
    expect(publicKeyOf(pair.privateKey)).toBe(pair.publicKey);
    await expect(new SecretOpener(async () => newSecretKeyPair().privateKey).open(sealed)).rejects.toThrow();
    const bytes = Buffer.from(sealed.split(':')[1]!, 'base64');
    bytes[10]! ^= 1;
    await expect(new SecretOpener(async () => pair.privateKey).open(`rsa1:${bytes.toString('base64')}`)).rejects.toThrow();
  });

  it('loads the private key once, and again after a failed load', async () => {
    const pair = newSecretKeyPair();
    const sealed = new SecretSealer(pair.publicKey).seal('s');
    let loads = 0;
    const opener = new SecretOpener(async () => {
      loads++;
      if (loads === 1) throw new Error('throttled');
      return pair.privateKey;
    });
    await expect(opener.open(sealed)).rejects.toThrow('throttled');
    expect(await opener.open(sealed)).toBe('s');
    expect(await opener.open(sealed)).toBe('s');
    expect(loads).toBe(2);
  });
});

describe('Subscriptions: where a webhook may point (AWS stages)', () => {
  it('blocks loopback, private, link-local, metadata and reserved addresses, IPv4 and IPv6', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00:ec2::254', 'fe80::1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::7f00:1', '::ffff:a9fe:a9fe', '2002:a9fe:a9fe::1', '64:ff9b:1::a00:1']) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
    for (const address of ['52.95.110.1', '8.8.8.8', '2600:1f18::1']) expect(isBlockedAddress(address), address).toBe(false);
  });

  it('wants https and no credentials; plain http only where private targets are allowed', () => {
    expect(() => checkWebhookUrl('http://example.com/hook', false)).toThrow(/https/);
    expect(() => checkWebhookUrl('https://user:pw@example.com/hook', false)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('ftp://example.com', true)).toThrow();
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', true).port).toBe('9000');
  });

  it('refuses a URL whose host is or resolves to a private address, with INVALID_REQUEST', async () => {
    await expect(checkWebhookAddresses(new URL('https://169.254.169.254/latest'), false)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(checkWebhookAddresses(new URL('https://[::1]/x'), false)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(checkWebhookAddresses(new URL('https://localhost/x'), false)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(checkWebhookAddresses(new URL('https://localhost/x'), true)).resolves.toBeUndefined();
  });

  it('checks the address again when it connects, so a name cannot turn private after the check', async () => {
    let reached = 0;
    const server = createServer((_, response) => {
      reached++;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const delivery = { secret: 's', subscription: 's', deliveryId: 'd', body: '{}', offsets: [0], now: Date.now };
    try {
      const refused = await deliverToWebhook({ ...delivery, url: `http://localhost:${port}/`, signal: AbortSignal.timeout(5000), allowPrivateTargets: false });
      const allowed = await deliverToWebhook({ ...delivery, url: `http://localhost:${port}/`, signal: AbortSignal.timeout(5000), allowPrivateTargets: true });
      expect(refused).toMatchObject({ kind: 'failed' });
      expect(allowed).toEqual({ kind: 'delivered' });
      expect(reached).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('Subscriptions: what wakes the dispatcher', () => {
  it('tells stream batches, wake-ups and sweeps apart', () => {
    expect(dispatchTrigger({ wake: { subscription: 'orders', partition: 3 } })).toEqual({ kind: 'wake', subscription: 'orders', partition: 3 });
    expect(dispatchTrigger({ Records: [{ dynamodb: { Keys: { pk: { S: 'abc#2' }, sk: { N: '-1' } } } }] })).toEqual({ kind: 'changes', partitionKeys: new Set(['abc#2']), subscriptions: new Set() });
    expect(dispatchTrigger({ Records: [{ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: 'orders-hook' }, sk: { S: 'config' } } } }, { eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: 'gone' }, sk: { S: 'config' } } } }] })).toEqual({
      kind: 'changes',
      partitionKeys: new Set(),
      subscriptions: new Set(['orders-hook']),
    });
    expect(dispatchTrigger({ source: 'aws.events' })).toEqual({ kind: 'sweep' });
    expect(dispatchTrigger(undefined)).toEqual({ kind: 'sweep' });
  });
});

describe('Subscriptions: settings from the environment', () => {
  const base = { BROOK_LOG_TABLE: 'l', BROOK_TOPICS_TABLE: 't', BROOK_GROUPS_TABLE: 'g', BROOK_KEYS_TABLE: 'k', BROOK_SUBSCRIPTIONS_TABLE: 's', BROOK_BUCKET: 'b' };
  it('reads the backoff, private targets, the secret key and local Lambda targets', () => {
    const config = loadConfig({
      ...base,
      BROOK_SUBSCRIPTION_BACKOFF_MS: '50',
      BROOK_ALLOW_PRIVATE_TARGETS: 'true',
      BROOK_SECRET_KEY: newSecretKeyPair().privateKey,
      BROOK_LOCAL_LAMBDAS: '{"arn:aws:lambda:us-east-1:123456789012:function:f":"./f.ts#handler"}',
    });
    expect(config).toMatchObject({ subscriptionBackoffMs: 50, allowPrivateTargets: true, localLambdas: { 'arn:aws:lambda:us-east-1:123456789012:function:f': './f.ts#handler' } });
    expect(loadConfig(base)).toMatchObject({ subscriptionBackoffMs: 1000, allowPrivateTargets: false });
    expect(loadConfig(base).localLambdas).toBeUndefined();
  });
  it('refuses settings it cannot read, naming the variable', () => {
    expect(() => loadConfig({ ...base, BROOK_ALLOW_PRIVATE_TARGETS: 'maybe' })).toThrow(/BROOK_ALLOW_PRIVATE_TARGETS/);
    expect(() => loadConfig({ ...base, BROOK_SECRET_KEY: 'short' })).toThrow(/BROOK_SECRET_KEY/);
    expect(() => loadConfig({ ...base, BROOK_LOCAL_LAMBDAS: '[1]' })).toThrow(/BROOK_LOCAL_LAMBDAS/);
  });
});

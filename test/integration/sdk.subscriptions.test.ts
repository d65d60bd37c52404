/**
 * Subscriptions through the SDK's admin client and the `brook subscriptions`
 * command, against a local stack of this file's own: create (the webhook
 * secret shown once), list, describe, alter, pause, resume, reset and
 * delete, and the errors of each. The webhook target is a local HTTP server
 * that answers every request with 200; delivery itself is tested elsewhere.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../scripts/build.js';
import { Brook, BrookError, SIGNATURE_HEADER, signDelivery, verifyDelivery, type Admin } from '../../sdk/index.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const FAST_RETRY = { maxRetries: 3, initialMs: 5, maxMs: 20 };

let stack: LocalStackForTests;
let brook: Brook;
let admin: Admin;
let receiver: Server;
let hookUrl: string;
let distDir: string;

const uniqueName = (label: string) => `subs-${label}-${randomUUID().slice(0, 8)}`;

/** The rejection of `promise`, which must be a `BrookError`. */
async function brookError(promise: Promise<unknown>): Promise<BrookError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrookError);
  return error as BrookError;
}

/** A topic with `perPartition[p]` records in partition p. */
async function topicWithRecords(perPartition: number[]): Promise<string> {
  const topic = uniqueName('topic');
  await admin.createTopic({ name: topic, partitions: perPartition.length });
  const producer = brook.producer();
  for (const [partition, count] of perPartition.entries()) {
    if (count > 0) await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition, value: `v${i}` })) });
  }
  await producer.disconnect();
  return topic;
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  distDir = await mkdtemp(join(tmpdir(), 'brook-subs-dist-'));
  // No apiKey: the stack saves one in its data folder, where the CLI finds it.
  [stack] = await Promise.all([localStackForTests({ prefix: 'brook-subs-' }), build(distDir)]);
  brook = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY });
  admin = brook.admin();
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

describe('Class: Admin (subscriptions)', () => {
  it('creates a webhook subscription: its secret is in the answer only, never in describe or list', async () => {
    // Prepare
    const topic = await topicWithRecords([2, 0]);
    const name = uniqueName('hook');

    // Act
    const created = await admin.createSubscription({ name, topic, target: { type: 'http', url: hookUrl }, batchSize: 50 });
    const described = await admin.describeSubscription(name);
    const listed = (await admin.listSubscriptions()).find((s) => s.name === name);

    // Assess
    expect(created).toMatchObject({
      name,
      topic,
      state: 'active',
      batchSize: 50,
      maxBatchingWindowMs: 0,
      maxRetries: 10,
      maxRecordAgeMs: -1,
      onFailure: null,
      encoding: 'utf8',
      target: { type: 'http', url: hookUrl },
    });
    const secret = created.target.secret!;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(described.target).toEqual({ type: 'http', url: hookUrl });
    expect(listed).toBeDefined();
    expect(listed!.target).toEqual({ type: 'http', url: hookUrl });
    expect(listed).not.toHaveProperty('partitions');
    expect(JSON.stringify(described)).not.toContain(secret);
    expect(JSON.stringify(await admin.listSubscriptions())).not.toContain(secret);
  });

  it('answers SUBSCRIPTION_EXISTS for a name that is taken', async () => {
    // Prepare
    const topic = await topicWithRecords([0]);
    const name = uniqueName('twice');
    await admin.createSubscription({ name, topic, target: { type: 'http', url: hookUrl } });

    // Act
    const error = await brookError(admin.createSubscription({ name, topic, target: { type: 'http', url: `${hookUrl}/other` } }));

    // Assess
    expect(error.code).toBe('SUBSCRIPTION_EXISTS');
    expect(error.status).toBe(409);
    expect((await admin.describeSubscription(name)).target).toEqual({ type: 'http', url: hookUrl });
  });

  it('describes each partition: a subscription that starts at latest is at the high watermark, with no lag', async () => {
    // Prepare
    const topic = await topicWithRecords([3, 1]);
    const name = uniqueName('latest');

    // Act
    await admin.createSubscription({ name, topic, target: { type: 'http', url: hookUrl }, startAt: 'latest' });
    const description = await admin.describeSubscription(name);

    // Assess
    expect(description.partitions).toEqual([
      { partition: 0, position: 3, highWatermark: 3, lag: 0, attempts: 0, parked: 0, dropped: 0 },
      { partition: 1, position: 1, highWatermark: 1, lag: 0, attempts: 0, parked: 0, dropped: 0 },
    ]);
  });

  it('alters settings, pauses and resumes, and resets positions to the log start, answering before and after', async () => {
    // Prepare
    const topic = await topicWithRecords([4, 2]);
    const parking = await topicWithRecords([0]);
    const name = uniqueName('ops');
    await admin.createSubscription({ name, topic, target: { type: 'http', url: hookUrl } });

    // Act
    const altered = await admin.alterSubscription(name, { batchSize: 7, maxRetries: -1, onFailure: { topic: parking } });
    const paused = await admin.pauseSubscription(name);
    const reset = await admin.resetSubscription(name, { to: 'earliest' });
    const afterReset = await admin.describeSubscription(name);
    const partial = await admin.resetSubscription(name, { to: { offset: 1 }, partitions: [1] });
    const resumed = await admin.resumeSubscription(name);
    const cleared = await admin.alterSubscription(name, { onFailure: null });

    // Assess
    expect(altered).toMatchObject({ batchSize: 7, maxRetries: -1, onFailure: { topic: parking }, state: 'active' });
    expect(paused.state).toBe('paused');
    expect(reset).toEqual([
      { partition: 0, before: 4, after: 0 },
      { partition: 1, before: 2, after: 0 },
    ]);
    // Paused, so nothing delivered since: the positions are where the reset put them.
    expect(afterReset.partitions.map((p) => [p.position, p.lag])).toEqual([
      [0, 4],
      [0, 2],
    ]);
    expect(partial).toEqual([{ partition: 1, before: 0, after: 1 }]);
    expect(resumed.state).toBe('active');
    expect(cleared).toMatchObject({ onFailure: null, batchSize: 7 });
  });

  it('deletes a subscription: then it is SUBSCRIPTION_NOT_FOUND everywhere', async () => {
    // Prepare
    const topic = await topicWithRecords([0]);
    const name = uniqueName('gone');
    await admin.createSubscription({ name, topic, target: { type: 'http', url: hookUrl } });

    // Act
    await admin.deleteSubscription(name);

    // Assess
    expect((await admin.listSubscriptions()).map((s) => s.name)).not.toContain(name);
    for (const call of [
      () => admin.describeSubscription(name),
      () => admin.pauseSubscription(name),
      () => admin.resetSubscription(name, { to: 'latest' }),
      () => admin.deleteSubscription(name),
    ]) {
      const error = await brookError(call());
      expect(error.code).toBe('SUBSCRIPTION_NOT_FOUND');
      expect(error.status).toBe(404);
    }
  });
});

describe('Function: verifyDelivery (exported by the SDK)', () => {
  it('accepts a signature made with the secret over the raw body, and refuses another body, secret or an old time', async () => {
    // Prepare
    const secret = 'whsec_test';
    const body = JSON.stringify({ subscription: 's', topic: 't', partition: 0, attempt: 1, records: [] });
    const now = Math.floor(Date.now() / 1000);
    const header = signDelivery(secret, body, now);

    // Assess
    expect(SIGNATURE_HEADER).toBe('brook-signature');
    expect(verifyDelivery(secret, body, header, now)).toBe(true);
    expect(verifyDelivery(secret, `${body} `, header, now)).toBe(false);
    expect(verifyDelivery('whsec_other', body, header, now)).toBe(false);
    expect(verifyDelivery(secret, body, header, now + 301)).toBe(false);
    // The built package exports it too (what `import { verifyDelivery } from 'brook/sdk'` loads).
    const bundle = (await import(pathToFileURL(join(distDir, 'sdk', 'index.js')).href)) as { verifyDelivery?: typeof verifyDelivery };
    expect(bundle.verifyDelivery?.(secret, body, header, now)).toBe(true);
  });
});

describe('brook subscriptions', () => {
  interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
  }

  /** Runs the built `brook <args>` against the stack, with the admin key it saved. */
  function run(args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, BROOK_URL: stack.url, BROOK_DATA_DIR: stack.dataDir, NO_COLOR: '1' };
    delete env.BROOK_API_KEY;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(distDir, 'cli.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('creates (printing the secret once), lists, describes, pauses, resets and deletes a subscription', async () => {
    // Prepare
    const topic = await topicWithRecords([2, 1]);
    const name = uniqueName('cli');

    // Act
    const created = await run(['subscriptions', 'create', name, '--topic', topic, '--webhook-url', hookUrl, '--batch-size', '20', '--start-at', 'latest']);
    const listed = await run(['subscriptions', 'list']);
    const described = await run(['subscriptions', 'describe', name]);
    const paused = await run(['subscriptions', 'pause', name]);
    const reset = await run(['--json', 'subscriptions', 'reset', name, '--to', 'earliest', '--partitions', '0']);
    const deleted = await run(['subscriptions', 'delete', name]);
    const after = await run(['subscriptions', 'describe', name]);

    // Assess
    expect(created.code).toBe(0);
    const secret = /^secret: (whsec_[0-9a-f]{64})$/m.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(created.stdout).toContain(`Created subscription ${name} on topic ${topic}: webhook ${hookUrl}.`);
    expect(created.stderr).toMatch(/shown only this once/);

    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${name}\\s+${topic}\\s+active\\s+webhook ${hookUrl}$`, 'm'));
    expect(listed.stdout).not.toContain(secret);

    expect(described.code).toBe(0);
    expect(described.stdout).not.toContain(secret);
    expect(described.stdout).toContain(`Subscription: ${name}  Topic: ${topic}  State: active  Target: webhook ${hookUrl}`);
    expect(described.stdout).toContain('batchSize=20 ');
    const rows = described.stdout.split('\n').filter((line) => line !== '').slice(-3);
    expect(rows.map((line) => line.split(/\s{2,}/))).toEqual([
      ['PARTITION', 'POSITION', 'HIGH-WATERMARK', 'LAG', 'ATTEMPTS', 'PARKED', 'DROPPED', 'LAST-DELIVERED', 'LAST-ERROR'],
      ['0', '2', '2', '0', '0', '0', '0', '-', '-'],
      ['1', '1', '1', '0', '0', '0', '0', '-', '-'],
    ]);

    expect(paused).toMatchObject({ code: 0, stdout: `Paused subscription ${name}.\n` });
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ subscription: name, partitions: [{ partition: 0, before: 2, after: 0 }] });

    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted subscription ${name}.\n` });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^brook: SUBSCRIPTION_NOT_FOUND: /);
  });

  it('refuses a create without a target before it calls the server, pointing out that --url is Brook\'s own', async () => {
    const result = await run(['--url', stack.url, 'subscriptions', 'create', uniqueName('none'), '--topic', 'orders']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('brook: give --webhook-url <url> or --function-arn <arn>: --url is the url of Brook itself (a global option)\n');
  });
});

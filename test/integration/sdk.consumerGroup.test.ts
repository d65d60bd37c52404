/**
 * SDK consumers sharing a group, against the local stack: at-least-once
 * across a member that dies without a word, exactly-once hand-over in clean
 * rebalances when commits happen on revoke, and the rebalance hooks.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Brook, type Consumer, type EachMessagePayload, type FetchLike, type TopicPartitions } from '../../sdk/index.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const FAST_RETRY = { maxRetries: 2, initialMs: 5, maxMs: 20 };
const SESSION_TIMEOUT_MS = 6_000; // the contract's minimum

let stack: LocalStackForTests;
let brook: Brook;

beforeAll(async () => {
  stack = await localStackForTests({ prefix: 'brook-sdk-group-', apiKey: `sdk-group-${randomUUID()}` });
  brook = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY });
});

afterAll(() => stack?.stop());

const names = (label: string) => ({ topic: `cg-${label}-${randomUUID().slice(0, 8)}`, groupId: `g-${randomUUID().slice(0, 8)}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const owned = (consumer: Consumer) => consumer.assignment().flatMap((t) => t.partitions);
const partitionsOf = (events: TopicPartitions[]) => events.flatMap((t) => t.partitions).sort((a, b) => a - b);

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

/** Values `from..from+count-1`, spread over the partitions by key. */
const records = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
const values = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);

describe('Class: Consumer (group of three, one crashes)', () => {
  it('every record is processed at least once; the survivors take the dead member\'s partitions after its session timeout', async () => {
    // Prepare: six partitions, three members; the third one's network can be cut
    const { topic, groupId } = names('crash');
    await brook.admin().createTopic({ name: topic, partitions: 6 });
    const producer = brook.producer();

    let crashed = false;
    const cuttable: FetchLike = (url, init) => (crashed ? Promise.reject(new Error('connect ECONNREFUSED')) : fetch(url, init));
    const doomedBrook = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: cuttable });
    const processed = new Map<string, string[]>(); // value -> members that processed it
    const handler = (member: string, onMessage?: () => void) => async ({ message }: EachMessagePayload) => {
      if (member === 'c3' && crashed) return; // a dead process handles nothing
      const value = message.value!.toString();
      processed.set(value, [...(processed.get(value) ?? []), member]);
      onMessage?.();
    };
    const options = { groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 200, autoCommitIntervalMs: 200, maxRecordsPerPartition: 5 };
    const c1 = brook.consumer(options);
    const c2 = brook.consumer(options);
    // The doomed member never auto-commits: everything it handles is uncommitted when it dies.
    const c3 = doomedBrook.consumer({ ...options, autoCommitIntervalMs: 600_000 });
    let c3Count = 0;
    let crashedAt = 0;
    try {
      for (const [name, consumer] of [['c1', c1], ['c2', c2]] as const) {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: handler(name) });
      }
      await c3.subscribe({ topic, fromBeginning: true });
      await c3.run({
        eachMessage: handler('c3', () => {
          c3Count += 1;
          if (c3Count === 10) {
            crashed = true; // dies mid-batch, after handling 10 records it never committed
            crashedAt = Date.now();
          }
        }),
      });
      await until(() => [c1, c2, c3].every((consumer) => owned(consumer).length === 2));
      await producer.send({ topic, messages: records(0, 300) });
      await until(() => crashed);

      // Act: more records arrive while the dead member still holds its lease
      await producer.send({ topic, messages: records(300, 300) });

      // Assess: the survivors share all six partitions and every record was processed
      await until(() => owned(c1).length + owned(c2).length === 6 && processed.size === 600, 40_000);
      const tookOverAfterMs = Date.now() - crashedAt;
      expect(owned(c1).length).toBe(3);
      expect(owned(c2).length).toBe(3);
      expect([...processed.keys()].sort()).toEqual(values(600).sort());
      const byDeadMember = [...processed].filter(([, members]) => members.includes('c3')).map(([value]) => value);
      expect(byDeadMember).toHaveLength(10);
      // What the dead member handled but never committed is handled again by a survivor.
      for (const value of byDeadMember) expect(processed.get(value)!.some((member) => member !== 'c3')).toBe(true);
      expect(tookOverAfterMs).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 500);
      const description = await brook.admin().describeGroup(groupId);
      expect(description.members).toHaveLength(2);
    } finally {
      await Promise.all([c1.disconnect(), c2.disconnect(), c3.disconnect()]);
    }
  }, 90_000);
});

describe('Class: Consumer (clean rebalances)', () => {
  it('with commits only in onPartitionsRevoked, no record is processed twice while members join and leave under load', async () => {
    // Prepare: manual commits, a slow handler, records arriving all along
    const { topic, groupId } = names('clean');
    await brook.admin().createTopic({ name: topic, partitions: 4 });
    const producer = brook.producer();
    let produced = 0;
    let producing = true;
    const production = (async () => {
      while (producing) {
        await producer.send({ topic, messages: records(produced, 10) });
        produced += 10;
        await sleep(30);
      }
    })();

    const seen: string[] = [];
    const events: string[] = [];
    const members = new Map<string, Consumer>();
    const join = async (name: string) => {
      const consumer = brook.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 200, autoCommit: false });
      members.set(name, consumer);
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          await sleep(2); // a handler slow enough to be mid-message when a revoke arrives
          seen.push(message.value!.toString());
        },
        onPartitionsAssigned: (partitions) => void events.push(`${name}+${partitionsOf(partitions).join(',')}`),
        onPartitionsRevoked: async (partitions) => {
          events.push(`${name}-${partitionsOf(partitions).join(',')}`);
          await consumer.commitOffsets();
        },
      });
      return consumer;
    };

    try {
      // Act: one member, then a second, then a third, then the first leaves
      const a = await join('a');
      await until(() => seen.length >= 50);
      const b = await join('b');
      await until(() => owned(a).length === 2 && owned(b).length === 2);
      const c = await join('c');
      await until(() => owned(a).length + owned(b).length + owned(c).length === 4 && owned(c).length >= 1);
      await sleep(300);
      await a.disconnect();
      await until(() => owned(b).length === 2 && owned(c).length === 2);
      await sleep(300);
      producing = false;
      await production;
      await until(() => seen.length >= produced);
      await sleep(500); // anything processed twice would show up now

      // Assess: each record once, and the hooks saw every hand-over
      const duplicates = seen.filter((value, index) => seen.indexOf(value) !== index);
      expect(duplicates).toEqual([]);
      expect(seen.slice().sort()).toEqual(values(produced).sort());
      expect(events[0]).toBe('a+0,1,2,3');
      const partitionsIn = (prefix: string) => events.filter((e) => e.startsWith(prefix)).flatMap((e) => e.slice(2).split(',').map(Number));
      expect(partitionsIn('a-').sort()).toEqual([0, 1, 2, 3]); // given away on rebalances, the rest on leaving
      expect(new Set([...partitionsIn('b+'), ...partitionsIn('c+')])).toEqual(new Set([0, 1, 2, 3]));
      for (const [name, consumer] of [['b', b], ['c', c]] as const) {
        const kept = partitionsIn(`${name}+`).filter((p) => !partitionsIn(`${name}-`).includes(p));
        expect(kept.sort()).toEqual(owned(consumer).sort());
      }
    } finally {
      producing = false;
      await production;
      await Promise.all([...members.values()].map((consumer) => consumer.disconnect()));
    }
  }, 90_000);

  it('disconnect hands every partition back through onPartitionsRevoked after committing them', async () => {
    // Prepare
    const { topic, groupId } = names('leave');
    await brook.admin().createTopic({ name: topic, partitions: 3 });
    await brook.producer().send({ topic, messages: records(0, 30) });
    const revoked: TopicPartitions[][] = [];
    let committedAtRevoke: number[] = [];
    const consumer = brook.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100, autoCommitIntervalMs: 600_000 });
    let count = 0;
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async () => void (count += 1),
      onPartitionsRevoked: async (partitions) => {
        revoked.push(partitions);
        committedAtRevoke = (await brook.admin().fetchGroupOffsets(groupId)).map((o) => o.offset);
      },
    });
    await until(() => count === 30);

    // Act
    await consumer.disconnect();

    // Assess: revoked once with all three, already committed (auto-commit on revoke), and the group is empty
    expect(revoked).toEqual([[{ topic, partitions: [0, 1, 2] }]]);
    expect(committedAtRevoke.reduce((sum, offset) => sum + offset, 0)).toBe(30);
    expect((await brook.admin().describeGroup(groupId)).state).toBe('Empty');
  }, 30_000);
});

describe('Class: Consumer (heartbeats)', () => {
  it('heartbeats at heartbeatIntervalMs when that is sooner than the server asks, so a leave is noticed sooner', async () => {
    // Prepare: count heartbeats; the server asks for one every 2 s at a 6 s session
    const { topic, groupId } = names('heartbeat');
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    let heartbeats = 0;
    const counting: FetchLike = (url, init) => {
      if (init.method === 'POST' && url.endsWith('/heartbeat')) heartbeats++;
      return fetch(url, init);
    };
    const client = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: counting });
    const fast = client.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100, heartbeatIntervalMs: 250 });
    const other = brook.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100 });
    try {
      for (const consumer of [fast, other]) {
        await consumer.subscribe({ topic });
        await consumer.run({ eachMessage: async () => {} });
      }
      await until(() => owned(fast).length === 1 && owned(other).length === 1);

      // Act: the other member leaves
      heartbeats = 0;
      const left = Date.now();
      await other.disconnect();
      await until(() => owned(fast).length === 2, 5_000);
      const noticedAfterMs = Date.now() - left;
      await sleep(1_000);

      // Assess
      expect(noticedAfterMs).toBeLessThan(1_000);
      expect(heartbeats).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all([fast.disconnect(), other.disconnect()]);
    }
  }, 30_000);
});

describe('Class: Consumer (static membership)', () => {
  it('a restarted member with the same instanceId takes back its partitions at once, resumes from its commits, and the old one is fenced', async () => {
    // Prepare: two static members; one "restarts" (its process dies: network cut, no leave)
    const { topic, groupId } = names('static');
    await brook.admin().createTopic({ name: topic, partitions: 4 });
    await brook.producer().send({ topic, messages: records(0, 40) });
    let cut = false;
    const cuttable: FetchLike = (url, init) => (cut ? Promise.reject(new Error('connect ECONNREFUSED')) : fetch(url, init));
    const options = { groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100, autoCommitIntervalMs: 100 };
    const seen: string[] = [];
    // Who handled what, when: printed if a record is seen twice or not at all.
    const startedAt = Date.now();
    const history: string[] = [];
    const handledBy = (who: string) => async ({ message, partition }: EachMessagePayload) => {
      seen.push(message.value!.toString());
      history.push(`${Date.now() - startedAt} ms ${who}: partition ${partition} offset ${message.offset} ${message.value}`);
    };
    const steady = brook.consumer({ ...options, instanceId: 'steady' });
    const before = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: cuttable }).consumer({ ...options, instanceId: 'restarting' });
    const after = brook.consumer({ ...options, instanceId: 'restarting' });
    const quiet = console.error;
    console.error = () => {};
    try {
      for (const [who, consumer] of [['steady', steady], ['before', before]] as const) {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: handledBy(who) });
      }
      await until(() => owned(steady).length === 2 && owned(before).length === 2 && seen.length >= 40);
      const partitionsBefore = owned(before);
      // Both members have auto-committed everything they handled (so a replay would show as a duplicate)
      for (let committed = 0; committed < 40; await sleep(50)) {
        committed = (await brook.admin().fetchGroupOffsets(groupId)).reduce((sum, o) => sum + o.offset, 0);
      }
      cut = true;
      const { generation } = await brook.admin().describeGroup(groupId);
      history.push(`${Date.now() - startedAt} ms cut; committed ${JSON.stringify(await brook.admin().fetchGroupOffsets(groupId))}`);

      // Act: the same instance comes back well within the session timeout
      const restartedAt = Date.now();
      await after.subscribe({ topic, fromBeginning: true });
      await after.run({ eachMessage: handledBy('after') });
      await until(() => owned(after).length === 2, 3_000);
      const tookBackMs = Date.now() - restartedAt;
      await brook.producer().send({ topic, messages: records(40, 8) });
      await until(() => seen.length >= 48);

      // Assess: its own partitions, no rebalance, no replay of what was committed
      expect(tookBackMs).toBeLessThan(SESSION_TIMEOUT_MS / 2);
      expect(owned(after)).toEqual(partitionsBefore);
      expect(owned(steady)).toHaveLength(2);
      expect((await brook.admin().describeGroup(groupId)).generation).toBe(generation);
      expect(seen.slice().sort(), history.join('\n')).toEqual(values(48).sort());
      expect((await brook.admin().describeGroup(groupId)).members).toHaveLength(2);
    } finally {
      console.error = quiet;
      await Promise.all([steady.disconnect(), after.disconnect(), before.disconnect()]);
    }
  }, 40_000);
});

describe('Class: Consumer (failures)', () => {
  it('a partition started at the latest offset is committed there, so records produced while no member runs are not skipped', async () => {
    // Prepare: an empty topic; a member that starts at the end and handles nothing
    const { topic, groupId } = names('reset');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    const options = { groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100 };
    const first = brook.consumer(options);
    await first.subscribe({ topic }); // not fromBeginning: start at the latest offset
    let assigned = false;
    await first.run({ eachMessage: async () => {}, onPartitionsAssigned: () => void (assigned = true) });
    await until(() => assigned);
    await first.disconnect();

    // Act: records arrive while no member runs, then a member starts again
    await brook.producer().send({ topic, messages: records(0, 5) });
    const seen: string[] = [];
    const second = brook.consumer(options);
    await second.subscribe({ topic });
    await second.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    try {
      // Assess: it continues from the committed 0, not from the new end
      await until(() => seen.length === 5);
      expect(seen).toEqual(values(5));
    } finally {
      await second.disconnect();
    }
  }, 30_000);

  it('an eachBatch handler that throws gets the batch again and the consumer keeps running', async () => {
    // Prepare
    const { topic, groupId } = names('batch-throw');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    await brook.producer().send({ topic, messages: records(0, 3) });
    const reports: string[] = [];
    const logger = { error: (message: string, error: unknown) => void reports.push(`${message}: ${(error as Error).message}`) };
    const consumer = brook.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100, logger });
    const batches: string[][] = [];
    let failures = 0;
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      // Act: the first call fails
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (failures++ === 0) throw new Error('handler bug');
          batches.push(batch.messages.map((m) => m.value!.toString()));
        },
      });
      await until(() => batches.length >= 1);
      await brook.producer().send({ topic, messages: records(3, 2) });
      await until(() => batches.flat().length >= 5);
    } finally {
      await consumer.disconnect();
    }

    // Assess: the failed batch came again, later records too, and everything was committed; the app's logger heard of it
    expect(batches.flat()).toEqual(values(5));
    expect(reports).toEqual([`brook consumer ${groupId}: eachBatch failed on ${topic}/0: handler bug`]);
    expect((await brook.admin().fetchGroupOffsets(groupId)).map((o) => o.offset)).toEqual([5]);
  }, 30_000);

  it('stops for good on an error no retry fixes (its key revoked), tries to leave, and reports it through onCrash', async () => {
    // Prepare: a key that may read the topic and the group
    const { topic, groupId } = names('crash-hook');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    const key = await brook.admin().createKey({
      principal: 'short-lived-app',
      permissions: [
        { resource: `topic:${topic}`, operations: ['read'] },
        { resource: `group:${groupId}`, operations: ['read'] },
      ],
    });
    const app = new Brook({ url: stack.url, apiKey: key.secret, retry: FAST_RETRY });
    const consumer = app.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100 });
    let crash: unknown;
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => {}, onCrash: (error) => void (crash = error) });
    await until(() => owned(consumer).length === 1);

    // Act
    await brook.admin().revokeKey(key.keyId);

    // Assess
    await until(() => crash !== undefined, 10_000);
    expect(crash).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(owned(consumer)).toEqual([]);
    await consumer.disconnect(); // harmless after a crash
    expect((await brook.admin().describeGroup(groupId)).members).toHaveLength(1); // the lease stays until it expires: the leave was refused too
  }, 30_000);

  it('after losing its lease, a member whose first join again fails keeps trying, reports the loss, and consumes again', async () => {
    // Prepare: a transport that can answer heartbeats with MEMBER_NOT_FOUND and refuse joins for a while
    const { topic, groupId } = names('rejoin');
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    let loseHeartbeats = false;
    let refuseJoinsUntil = 0;
    const faulty: FetchLike = async (url, init) => {
      const isHeartbeat = init.method === 'POST' && url.endsWith('/heartbeat');
      const isJoin = init.method === 'POST' && url.endsWith(`/v1/groups/${groupId}/members`);
      if (isHeartbeat && loseHeartbeats) {
        loseHeartbeats = false;
        refuseJoinsUntil = Date.now() + 1_500;
        return new Response(JSON.stringify({ error: { code: 'MEMBER_NOT_FOUND', message: 'gone', retriable: false } }), { status: 404 });
      }
      if (isJoin && Date.now() < refuseJoinsUntil) return new Response('{"error":{"code":"UNAVAILABLE","message":"down","retriable":true}}', { status: 503 });
      return fetch(url, init);
    };
    const client = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: faulty });
    const consumer = client.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100 });
    const seen: string[] = [];
    const lost: number[][] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    const quiet = console.error;
    console.error = () => {};
    try {
      await consumer.run({
        eachMessage: async ({ message }) => void seen.push(message.value!.toString()),
        onPartitionsLost: (partitions) => void lost.push(partitionsOf(partitions)),
      });
      await until(() => owned(consumer).length === 2);

      // Act: the next heartbeat says the member is gone; joins fail for 1.5 s
      loseHeartbeats = true;
      await until(() => lost.length === 1);
      await brook.producer().send({ topic, messages: records(0, 6) });

      // Assess
      await until(() => seen.length >= 6, 20_000);
      expect(lost).toEqual([[0, 1]]);
      expect(seen.slice().sort()).toEqual(values(6).sort());
      expect(owned(consumer)).toEqual([0, 1]);
    } finally {
      console.error = quiet;
      await consumer.disconnect();
    }
  }, 40_000);

  it('sends commits one at a time in the order asked, so a slow commit never overwrites a later one', async () => {
    // Prepare: the first commit's request is held back for a while
    const { topic, groupId } = names('order');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    await brook.producer().send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ value: `v${i}`, partition: 0 })) });
    const slowFirst: FetchLike = async (url, init) => {
      if (String(url).endsWith('/offsets') && String(init?.body).includes('"offset":3')) await sleep(400);
      return fetch(url, init);
    };
    const client = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: slowFirst });
    const consumer = client.consumer({ groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, maxWaitTimeMs: 100, autoCommit: false });
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      await consumer.run({ eachMessage: async () => undefined });
      await until(() => owned(consumer).length === 1);

      // Act
      await Promise.all([
        consumer.commitOffsets([{ topic, partition: 0, offset: 3 }]),
        consumer.commitOffsets([{ topic, partition: 0, offset: 5 }]),
      ]);

      // Assess
      expect(await brook.admin().fetchGroupOffsets(groupId)).toEqual([expect.objectContaining({ topic, partition: 0, offset: 5 })]);
    } finally {
      await consumer.disconnect();
    }
  });
});

/**
 * The SDK's transactions against the local stack: a consume-transform-produce
 * pipeline (`runTransactional`) between two topics, run by a group whose
 * members die as under kill -9 (their network cut at once: no more
 * heartbeats, no leave, no commit; whatever they were doing is dropped) at
 * different moments of a batch, while new members join mid-stream. At the end
 * the output topic holds every input exactly once: no gap, no duplicate.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Brook, runTransactional, type Consumer, type FetchLike, type Producer } from '../../sdk/index.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const FAST_RETRY = { maxRetries: 2, initialMs: 5, maxMs: 20 };
const SESSION_TIMEOUT_MS = 6_000; // the contract's minimum: how long a dead member's partitions wait

let stack: LocalStackForTests;
let brook: Brook;

beforeAll(async () => {
  stack = await localStackForTests({ prefix: 'brook-sdk-tx-', apiKey: `sdk-tx-${randomUUID()}` });
  brook = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY });
});

afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The keys of every record of `topic`, read from the start of each partition (each value checked: `out:<key>`). */
async function readKeys(topic: string, partitions: number): Promise<string[]> {
  const reader = brook.reader();
  const keys: string[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    let offset = 0;
    for (;;) {
      const [result] = await reader.fetch([{ topic, partition, offset }]);
      if (!result || 'error' in result) throw result?.error ?? new Error('no answer');
      for (const message of result.messages) {
        expect(message.value!.toString()).toBe(`out:${message.key!.toString()}`);
        keys.push(message.key!.toString());
      }
      offset = result.nextOffset;
      if (offset >= result.highWatermark) break;
    }
  }
  return keys;
}

/** When a member dies: on its next transaction (before sending it, or once the server answered it), or in the middle of a transform. */
type Death = 'beforeTransaction' | 'afterTransactionAnswered' | 'inTransform';

/** One member process: its own client (a network that can be cut), consumer and producer. */
interface Member {
  name: string;
  consumer: Consumer;
  producer: Producer;
  dead: boolean;
  /** Set to make it die at that moment. */
  dieAt?: Death;
  /** How it died, once dead. */
  died?: Death;
  /** Input ids it transformed (a dead member's last ones may never have been committed). */
  transformed: string[];
}

describe('Transaction', () => {
  it('against the server: a lost answer is retried with the same claim and written once; abort writes nothing; 413 beyond 100 items changes nothing', async () => {
    // Prepare: the first answer to the first transaction is lost on its way back
    const suffix = randomUUID().slice(0, 8);
    const a = `tx-a-${suffix}`;
    const wide = `tx-wide-${suffix}`;
    await brook.admin().createTopic({ name: a, partitions: 2 });
    await brook.admin().createTopic({ name: wide, partitions: 60 });
    let lost = 0;
    const network: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (new URL(url).pathname === '/v1/transactions' && lost++ === 0) throw new TypeError('fetch failed (the answer was lost)');
      return response;
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: network }).producer();
    await producer.send({ topic: a, messages: [{ value: 'plain', partition: 0 }] });

    // Act
    const first = producer.transaction();
    await first.send({ topic: a, messages: [{ value: 't1', partition: 0 }, { value: 't2', partition: 1 }] });
    const results = await first.commit();
    const aborted = producer.transaction();
    await aborted.send({ topic: a, messages: [{ value: 'never', partition: 1 }] });
    await aborted.abort();
    const tooWide = producer.transaction();
    await tooWide.send({ topic: wide, messages: Array.from({ length: 60 }, (_, partition) => ({ value: 'x', partition })) });
    const refused = await tooWide.commit().catch((error: unknown) => error);
    const after = producer.transaction();
    await after.send({ topic: a, messages: [{ value: 't3', partition: 0 }] });
    const afterResults = await after.commit();
    await producer.disconnect();

    // Assess
    expect(lost).toBe(4); // the first commit twice, the refused one, the last one
    expect(results).toEqual([{ topic: a, partition: 0, offset: 1 }, { topic: a, partition: 1, offset: 0 }]);
    expect(refused).toMatchObject({ code: 'REQUEST_TOO_LARGE', details: { limit: 'items' } });
    expect(afterResults).toEqual([{ topic: a, partition: 0, offset: 2 }]);
    const reader = brook.reader();
    const read = await reader.fetch([{ topic: a, partition: 0 }, { topic: a, partition: 1 }, ...Array.from({ length: 60 }, (_, partition) => ({ topic: wide, partition }))]);
    const values = read.map((r) => ('error' in r ? r.error.code : r.messages.map((m) => m.value!.toString()).join(',')));
    expect(values.slice(0, 2)).toEqual(['plain,t1,t3', 't2']);
    expect(values.slice(2).every((v) => v === '')).toBe(true);
  });
});

describe('runTransactional (consume-transform-produce)', () => {
  it('members crash (as kill -9) and join mid-stream; every input is in the output exactly once', { timeout: 150_000 }, async () => {
    // Prepare: 4 input partitions, 3 output partitions, inputs produced all along
    const suffix = randomUUID().slice(0, 8);
    const input = `tx-in-${suffix}`;
    const output = `tx-out-${suffix}`;
    const groupId = `tx-group-${suffix}`;
    await brook.admin().createTopic({ name: input, partitions: 4 });
    await brook.admin().createTopic({ name: output, partitions: 3 });
    const reports: string[] = [];
    const members: Member[] = [];
    let transactionsWritten = 0;

    const start = async (name: string): Promise<Member> => {
      const member = { name, dead: false, transformed: [] as string[] } as Member;
      const network: FetchLike = async (url, init) => {
        if (member.dead) throw new TypeError('fetch failed (the process is dead)');
        const isTransaction = new URL(url).pathname === '/v1/transactions';
        if (isTransaction && member.dieAt === 'beforeTransaction') {
          member.dead = true;
          member.died = 'beforeTransaction';
          throw new TypeError('fetch failed (the process is dead)');
        }
        const response = await fetch(url, init);
        if (isTransaction && response.ok) transactionsWritten++;
        if (isTransaction && member.dieAt === 'afterTransactionAnswered') {
          // The server wrote it; the answer never reaches the dead process.
          member.dead = true;
          member.died = 'afterTransactionAnswered';
          throw new TypeError('fetch failed (the process is dead)');
        }
        return response;
      };
      const client = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: network });
      const consumer = client.consumer({
        groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 200,
        maxRecordsPerPartition: 15,
        autoCommit: false,
        logger: { error: (message) => void reports.push(`${name}: ${message}`) },
      });
      member.consumer = consumer;
      member.producer = client.producer();
      members.push(member);
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await runTransactional(consumer, {
        producer: member.producer,
        transform: async ({ batch }) => {
          if (member.dead) throw new Error('a dead process transforms nothing');
          const ids = batch.messages.map((message) => message.value!.toString());
          member.transformed.push(...ids);
          await sleep(5); // work
          if (member.dieAt === 'inTransform') {
            member.dead = true;
            member.died = 'inTransform';
            throw new Error('died in the middle of a transform');
          }
          return [{ topic: output, messages: ids.map((id) => ({ key: id, value: `out:${id}`, headers: { from: `${batch.topic}/${batch.partition}` } })) }];
        },
      });
      return member;
    };

    /** Kills `member` at the moment `death`; once dead, its objects are stopped (with its network cut, that reaches nothing). */
    const kill = async (member: Member, death: Death) => {
      member.dieAt = death;
      await until(() => member.dead, `${member.name} to die ${death}`, 30_000);
      await member.consumer.disconnect();
    };
    const committedCount = async () => (await brook.admin().fetchGroupOffsets(groupId).catch(() => [])).filter((o) => o.topic === input).reduce((sum, o) => sum + o.offset, 0);

    // Inputs arrive all along, 8 every 100 ms, spread over the partitions by key, until the last member has joined
    let produced = 0;
    let producing = true;
    const producer = brook.producer();
    const production = (async () => {
      while (producing) {
        await producer.send({ topic: input, messages: Array.from({ length: 8 }, (_, i) => ({ key: `k${produced + i}`, value: `id-${produced + i}` })) });
        produced += 8;
        await sleep(100);
      }
    })();

    try {
      // Act: three members; one dies after its transaction was written but before the answer came back, and a new one joins
      const [a, b, c] = [await start('a'), await start('b'), await start('c')];
      await until(async () => (await committedCount()) >= 60, 'some progress');
      await kill(a, 'afterTransactionAnswered');
      await start('d');

      // Once a's partitions moved on: one dies in the middle of a transform, another just before sending its transaction
      await until(async () => produced >= 200 && (await committedCount()) >= produced - 40, 'progress after the first death');
      await Promise.all([kill(b, 'inTransform'), kill(c, 'beforeTransaction')]);
      await start('e');
      await sleep(2_000);
      producing = false;
      await production;

      // Assess: everything produced gets committed by the living
      await until(async () => (await committedCount()) === produced, 'every input to be committed', 90_000);
    } finally {
      producing = false;
      await production.catch(() => undefined);
      await Promise.all(members.filter((m) => !m.dead).map((m) => m.consumer.disconnect()));
      await Promise.all(members.map((m) => m.producer.disconnect()));
    }
    const TOTAL = produced;

    // The output topic, read from its start: every input id exactly once
    const outputs = await readKeys(output, 3);
    const expected = Array.from({ length: TOTAL }, (_, i) => `id-${i}`);
    const counts = new Map<string, number>();
    for (const id of outputs) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, count]) => count > 1), 'duplicates').toEqual([]);
    expect(expected.filter((id) => !counts.has(id)), 'gaps').toEqual([]);
    expect(outputs.sort()).toEqual(expected.sort());

    // The deaths happened as planned, and what the dead left undone was done by others
    expect(members.filter((m) => m.dead).map((m) => [m.name, m.died])).toEqual([
      ['a', 'afterTransactionAnswered'],
      ['b', 'inTransform'],
      ['c', 'beforeTransaction'],
    ]);
    const byLiving = new Set(members.filter((m) => !m.dead).flatMap((m) => m.transformed));
    const redone = [...members[1]!.transformed.slice(-15), ...members[2]!.transformed.slice(-15)].filter((id) => byLiving.has(id));
    expect(redone.length).toBeGreaterThan(0);
    expect(transactionsWritten).toBeGreaterThan(0);
    console.log(`${TOTAL} inputs, ${transactionsWritten} transactions, ${members.length} members (3 died); ${reports.length} reports`);
  });

  it('a commit whose answers were all lost fails, and the member goes back to the committed position: the batch written after all is not done again', async () => {
    // Prepare: one member; every answer to its third transaction (the first try and its retries) is lost on the way back
    const suffix = randomUUID().slice(0, 8);
    const input = `tx-in1-${suffix}`;
    const output = `tx-out1-${suffix}`;
    await brook.admin().createTopic({ name: input, partitions: 1 });
    await brook.admin().createTopic({ name: output, partitions: 2 });
    const TOTAL = 60;
    const claims: string[] = [];
    let transactions = 0;
    const network: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (new URL(url).pathname !== '/v1/transactions') return response;
      const body = JSON.parse(String(init.body)) as { producer: unknown; records: unknown[] };
      const claim = JSON.stringify(body.producer);
      if (!claims.includes(claim)) transactions++;
      claims.push(claim);
      if (transactions === 3) {
        expect(response.status).toBe(200); // written, each retry answered with its offsets: but no answer arrives
        throw new TypeError('fetch failed (the answer was lost)');
      }
      return response;
    };
    const reports: string[] = [];
    const client = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY, fetch: network });
    const consumer = client.consumer({
      groupId: `tx-lost-${suffix}`,
      maxWaitTimeMs: 200,
      maxRecordsPerPartition: 10,
      autoCommit: false,
      logger: { error: (message, error) => void reports.push(`${message}: ${(error as Error).message}`) },
    });
    const producer = client.producer();
    const seen: string[] = [];
    await brook.producer().send({ topic: input, messages: Array.from({ length: TOTAL }, (_, i) => ({ key: `id-${i}`, value: `id-${i}` })) });

    // Act
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await runTransactional(consumer, {
      producer,
      transform: ({ batch }) => {
        const ids = batch.messages.map((message) => message.value!.toString());
        seen.push(...ids);
        return [{ topic: output, messages: ids.map((id) => ({ key: id, value: `out:${id}` })) }];
      },
    });
    try {
      await until(async () => (await consumer.committed()).find((o) => o.topic === input)?.offset === TOTAL, 'every input to be committed', 30_000);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }

    // Assess: the lost transaction was sent 1 + maxRetries times with one claim, reported, and its batch never done again
    const lostClaim = [...new Set(claims)][2]!;
    expect(claims.filter((claim) => claim === lostClaim)).toHaveLength(1 + FAST_RETRY.maxRetries);
    expect(reports.some((report) => /eachBatch failed/.test(report) && /fetch failed/.test(report))).toBe(true);
    expect(seen).toHaveLength(TOTAL); // every input transformed once: none again after the lost answers
    const outputs = await readKeys(output, 2);
    expect(outputs.sort()).toEqual(Array.from({ length: TOTAL }, (_, i) => `id-${i}`).sort());
  });
});

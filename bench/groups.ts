/**
 * What consumer-group operations cost in DynamoDB request units
 * (`npx tsx bench/groups.ts`). Runs the group coordinator on DynamoDB Local
 * (in memory) with a fake clock, for groups of 1, 10 and 100 members over 10,
 * 100 and 1,000 partitions, and counts the units of each operation from the
 * `ConsumedCapacity` DynamoDB reports (transactional writes counted from
 * their items, as the service bills them; see functions/storage/requestMeter.ts):
 *
 * - a steady heartbeat (nothing moving), and a join into a settled group;
 * - the hand-over that follows a join (the heartbeats until the group is
 *   stable again), and a leave with its hand-over;
 * - a commit of one partition and of all of a member's partitions;
 * - a describe.
 *
 * DynamoDB Local reports made-up units for transactions (2 for a transaction
 * of 11 small items), so transactions are counted here from item sizes, as
 * the service bills them: each item (Put: the larger of the old and new item,
 * Update: the larger of before and after, Delete and ConditionCheck: the
 * item) rounded up to 1 KB, times two.
 *
 * The API-key lookup every HTTP request makes (one strongly consistent read,
 * cached 10 s by warm handlers) is not included. Prints a table and writes
 * bench/results/groups.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { GroupCoordinator, type Assignment } from '../functions/groups/GroupCoordinator.js';
import { PartitionLog } from '../functions/log/PartitionLog.js';
import { createDocumentClient } from '../functions/storage/clients.js';
import { requestCounts, resetRequestCounts, type RequestCounts } from '../functions/storage/requestMeter.js';
import { createS3Client } from '../functions/storage/s3Client.js';
import { TopicRegistry } from '../functions/topics/TopicRegistry.js';
import { DYNAMODB_LOCAL_CREDENTIALS, startDynamoDbLocal } from '../local/emulators.js';
import { ensureTables, localConfig } from '../local/setup.js';
import { PRICES } from './prices.js';

const SESSION_MS = 30_000;
const SIZES = [
  { members: 1, partitions: 10 },
  { members: 10, partitions: 100 },
  { members: 100, partitions: 1000 },
];

interface Units {
  reads: number;
  writes: number;
  requests: number;
}

const units = (counts: RequestCounts, times = 1): Units => ({
  reads: round(counts.dynamoDbReadUnits / times),
  writes: round(counts.dynamoDbWriteUnits / times),
  requests: round(counts.dynamoDbRequests / times),
});
const round = (value: number) => Math.round(value * 100) / 100;

/** DynamoDB's size of a value, as it bills it (names and values; numbers about one byte per two digits). */
function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0);
}

function itemSize(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

/** Transactional write units counted from item sizes, and what DynamoDB Local reported for the same transactions. */
const transactions = { computed: 0, reported: 0 };

/** Makes `doc` count its transactions from item sizes (reading items with an unmetered client). */
function countTransactions(doc: DynamoDBDocumentClient, endpoint: string): void {
  const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: DYNAMODB_LOCAL_CREDENTIALS }));
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  const get = async (table: string, key: Record<string, unknown>) =>
    (await raw.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  (doc as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if (!(command instanceof TransactWriteCommand)) return send(command);
    const items = command.input.TransactItems ?? [];
    const keyOf = (item: (typeof items)[number]) => {
      const op = (item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck)!;
      const key = 'Key' in op && op.Key ? op.Key : { pk: (op as { Item: Record<string, unknown> }).Item.pk, sk: (op as { Item: Record<string, unknown> }).Item.sk };
      return { table: op.TableName!, key: key as Record<string, unknown> };
    };
    const before = await Promise.all(items.map((item) => get(keyOf(item).table, keyOf(item).key)));
    const output = (await send(command)) as TransactWriteCommandOutput;
    const after = await Promise.all(items.map((item) => get(keyOf(item).table, keyOf(item).key)));
    items.forEach((item, i) => {
      const bytes = item.Put ? Math.max(itemSize(before[i]), itemSize(item.Put.Item)) : Math.max(itemSize(before[i]), itemSize(after[i]));
      transactions.computed += 2 * Math.max(1, Math.ceil(bytes / 1024));
    });
    for (const capacity of output.ConsumedCapacity ?? []) transactions.reported += 2 * (capacity.CapacityUnits ?? 0);
    return output;
  };
}

async function measure<T>(run: () => Promise<T>): Promise<{ value: T; counts: RequestCounts }> {
  resetRequestCounts();
  transactions.computed = 0;
  transactions.reported = 0;
  const value = await run();
  const counts = requestCounts();
  counts.dynamoDbWriteUnits += transactions.computed - transactions.reported;
  return { value, counts };
}

const dynamo = await startDynamoDbLocal();
try {
  const config = localConfig({ prefix: 'brook-bench-groups', dynamoDbEndpoint: dynamo.endpoint, s3Endpoint: 'http://127.0.0.1:9' });
  await ensureTables(config);
  const doc = createDocumentClient(config);
  countTransactions(doc, dynamo.endpoint);
  const topics = new TopicRegistry(doc, config.tables);
  const log = new PartitionLog({ doc, s3: createS3Client(config), logTable: config.tables.log, bucket: config.bucket });
  let clock = Date.now();
  const groups = new GroupCoordinator({ doc, tables: config.tables, log, topics, now: () => clock, topicMetadataMaxAgeMs: 60_000 });

  const results = [];
  for (const size of SIZES) {
    const topic = `bench-${size.partitions}`;
    const group = `bench-${size.members}`;
    await topics.create({ name: topic, partitions: size.partitions });
    const members: { memberId: string; generation: number; assignment: Assignment[] }[] = [];
    const held = (m: (typeof members)[number]) => m.assignment.flatMap((a) => a.partitions);

    /** Heartbeats of every member, round after round, until nothing moves; their total units. */
    const settle = async () => {
      let heartbeats = 0;
      const { counts } = await measure(async () => {
        for (let round = 0; round < 10; round++) {
          let moving = false;
          for (const member of members) {
            const beat = await groups.heartbeat(group, member.memberId, member.generation);
            heartbeats++;
            member.generation = beat.generation;
            member.assignment = beat.assignment;
            moving ||= beat.rebalancing;
          }
          clock += 1000;
          if (!moving) return;
        }
      });
      return { heartbeats, counts };
    };

    for (let i = 0; i < size.members - 1; i++) {
      members.push(await groups.join(group, { topics: [topic], sessionTimeoutMs: SESSION_MS }));
      clock += 10;
    }
    if (members.length > 0) await settle();

    const join = await measure(() => groups.join(group, { topics: [topic], sessionTimeoutMs: SESSION_MS }));
    members.push(join.value);
    const afterJoin = await settle();
    const steady = await measure(async () => {
      for (const member of members) await groups.heartbeat(group, member.memberId, member.generation);
    });
    const member = members[0]!;
    const commitOne = await measure(() => groups.commit(group, { memberId: member.memberId, generation: member.generation, offsets: [{ topic, partition: held(member)[0]!, offset: 1 }] }));
    const commitAllPartitions = held(member).length;
    const commitAll = await measure(() =>
      groups.commit(group, { memberId: member.memberId, generation: member.generation, offsets: held(member).map((partition) => ({ topic, partition, offset: 2 })) }),
    );
    const describe = await measure(() => groups.describe(group));
    let leave: RequestCounts | undefined;
    let afterLeave: Awaited<ReturnType<typeof settle>> | undefined;
    if (members.length > 1) {
      const leaving = members.pop()!;
      leave = (await measure(() => groups.leave(group, leaving.memberId))).counts;
      afterLeave = await settle();
    }

    const steadyHeartbeat = units(steady.counts, members.length + (leave ? 1 : 0));
    const heartbeatsPerHour = 3600_000 / (SESSION_MS / 3);
    results.push({
      members: size.members,
      partitions: size.partitions,
      steadyHeartbeat,
      join: units(join.counts),
      handOverAfterJoin: { heartbeats: afterJoin.heartbeats, ...units(afterJoin.counts) },
      leave: leave ? units(leave) : null,
      handOverAfterLeave: afterLeave ? { heartbeats: afterLeave.heartbeats, ...units(afterLeave.counts) } : null,
      commitOnePartition: units(commitOne.counts),
      commitAllOfAMember: { partitions: commitAllPartitions, ...units(commitAll.counts) },
      describe: units(describe.counts),
      heartbeatUsdPerMemberHour: round(
        heartbeatsPerHour * (steadyHeartbeat.reads * PRICES.dynamoDbReadUnit + steadyHeartbeat.writes * PRICES.dynamoDbWriteUnit) * 1e6,
      ) / 1e6,
    });
  }

  console.log('DynamoDB request units per operation (reads RRU / writes WRU / requests):');
  const cell = (u: Units | null) => (u ? `${u.reads} / ${u.writes} / ${u.requests}` : '-');
  console.table(
    Object.fromEntries(
      results.map((r) => [
        `${r.members} members, ${r.partitions} partitions`,
        {
          'steady heartbeat': cell(r.steadyHeartbeat),
          join: cell(r.join),
          'hand-over after join (all heartbeats)': `${cell(r.handOverAfterJoin)} in ${r.handOverAfterJoin.heartbeats}`,
          leave: cell(r.leave),
          'commit 1': cell(r.commitOnePartition),
          [`commit all of a member`]: `${cell(r.commitAllOfAMember)} (${r.commitAllOfAMember.partitions})`,
          describe: cell(r.describe),
        },
      ]),
    ),
  );
  for (const r of results) {
    console.log(`${r.members} members: heartbeats every ${SESSION_MS / 3000} s cost $${r.heartbeatUsdPerMemberHour.toFixed(6)} of DynamoDB per member-hour`);
  }
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/groups.json', import.meta.url), JSON.stringify({ sessionTimeoutMs: SESSION_MS, results }, null, 2) + '\n');
} finally {
  await dynamo.stop();
}

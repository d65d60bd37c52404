/**
 * A simulation of one consumer group on DynamoDB Local with a fake clock:
 * ten clients join, heartbeat, commit, leave, crash (they stop heartbeating,
 * and some go on committing as zombies) and restart (some with static
 * membership) over a few hundred steps, while a topic grows. After every
 * step it reads the group's items and checks the invariants of docs/groups.md
 * ("Why the invariants hold"):
 *
 * 1. no partition has two live members allowed to commit it (and the meta
 *    item's owners are the offset items' owners);
 * 2. every partition a live member subscribes to has a live owner within one
 *    session timeout plus one heartbeat interval;
 * 3. the plan is balanced;
 * 4. no committed offset ever moves backwards (the clients only move forward);
 * and, along the way, that a well-behaved client's commits of the partitions
 * it was given always succeed, that zombies are fenced once their lease has
 * run out, and that a commit above the high watermark is refused.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBalanced, partitionKey, type PartitionKey } from '../../functions/groups/assignment.js';
import type { GroupCoordinator, HeartbeatResult } from '../../functions/groups/GroupCoordinator.js';
import { planFromMeta, type MemberItem, type MetaItem, type OffsetItem } from '../../functions/groups/groupItems.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { BrookError } from '../../protocol/errors.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { createTestConfig } from '../helpers/testConfig.js';
import { seededRandom } from '../helpers/random.js';

/** 250 steps in `npm test`; `BROOK_SIMULATION_STEPS` runs it longer. */
const STEPS = Number(process.env.BROOK_SIMULATION_STEPS ?? 250);
const STEP_MS = 500;
const SESSION_MS = 6000;
const HEARTBEAT_MS = SESSION_MS / 3;
const GROUP = 'simulated';
const SEED = 20_260_101;
/** Each slot is one client process; its topics are fixed, some have a static instance id. */
const SLOTS = [
  { topics: ['a', 'b'], instanceId: 'static-0' },
  { topics: ['a', 'b'], instanceId: 'static-1' },
  { topics: ['a', 'b'], instanceId: 'static-2' },
  { topics: ['a', 'b'] },
  { topics: ['a', 'b'] },
  { topics: ['a', 'b'] },
  { topics: ['a'] },
  { topics: ['a'] },
  { topics: ['a', 'b', 'c'] },
  { topics: ['c'] },
];
const TOPICS: Record<string, number> = { a: 8, b: 4, c: 3 };
const GROWTH = { step: 200, topic: 'b', partitions: 6 };
/** Records in every partition: commits stay at or below the high watermark. */
const LOG_LENGTH = 250;

interface Client {
  slot: number;
  memberId: string;
  generation: number;
  /** The partitions its last response said it may consume. */
  assigned: Set<PartitionKey>;
  /** Next offset to commit per partition. */
  positions: Map<PartitionKey, number>;
  nextHeartbeatAt: number;
  /** The lease as the client last extended it. */
  leaseEndsAt: number;
  state: 'live' | 'crashed';
  restartAt?: number;
  /** Its own random stream: clients act concurrently, so one shared stream would make runs differ. */
  random: () => number;
}


let clock = Date.now();
let brook: BrookUnderTest;
let groups: GroupCoordinator;
const topicNames: Record<string, string> = {};

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig(), { groups: { now: () => clock, topicMetadataMaxAgeMs: 2000 } });
  groups = brook.groups;
  for (const [short, partitions] of Object.entries(TOPICS)) {
    topicNames[short] = `sim-${short}`;
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topicNames[short], partitions } })).status).toBe(201);
    await fill(topicNames[short], 0, partitions);
  }
});

/** Appends LOG_LENGTH records to each partition in `from..to-1`. */
async function fill(topic: string, from: number, to: number): Promise<void> {
  for (let partition = from; partition < to; partition++) {
    const records = Array.from({ length: LOG_LENGTH }, (_, i) => ({ value: `r${i}`, partition }));
    expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } })).status).toBe(200);
  }
}

async function expectCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof BrookError) return error.code;
    throw error;
  }
}

describe('consumer groups: simulation', () => {
  it(`keeps the invariants over ${STEPS} steps of joins, leaves, crashes, zombies and restarts`, async () => {
    const next = seededRandom(SEED);
    const doc = createDocumentClient(brook.config);
    const clients: (Client | undefined)[] = SLOTS.map(() => undefined);
    const zombies: Client[] = [];
    /** Offsets as last read from the table (for the regression check). */
    const committed = new Map<PartitionKey, number>();
    /** Offsets as the last successful commit left them: what a client fetches when it is given a partition. */
    const lastCommit = new Map<PartitionKey, number>();
    const unownedSince = new Map<PartitionKey, number>();
    const partitions: Record<string, number> = { ...TOPICS };
    const stats = { heartbeats: 0, commits: 0, probes: 0, probesWithOwner: 0, zombieCommits: 0, zombiesFenced: 0, beyondLogRefused: 0, staticKept: 0, joins: 0, leaves: 0, crashes: 0, maxUnownedMs: 0 };

    const full = (short: string) => topicNames[short]!;
    const apply = (client: Client, response: { generation: number; assignment: { topic: string; partitions: number[] }[] }) => {
      const before = client.assigned;
      client.generation = response.generation;
      client.assigned = new Set(response.assignment.flatMap(({ topic, partitions: ps }) => ps.map((p) => partitionKey(topic, p))));
      for (const key of client.assigned) if (!before.has(key)) client.positions.set(key, lastCommit.get(key) ?? 0);
      return [...before].filter((key) => !client.assigned.has(key));
    };

    /** Commits the given partitions at the client's positions (moving each a little); all must succeed. */
    const commitOwned = async (client: Client, keys: PartitionKey[]) => {
      if (keys.length === 0) return;
      const offsets = keys.map((key) => {
        const position = Math.min(LOG_LENGTH, client.positions.get(key)! + Math.floor(client.random() * 4));
        client.positions.set(key, position);
        const at = key.lastIndexOf('#');
        return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset: position };
      });
      stats.commits++;
      const code = await expectCode(groups.commit(GROUP, { memberId: client.memberId, generation: client.generation, offsets }));
      expect(code, `step commit by ${client.memberId} of ${keys.join(',')}`).toBeUndefined();
      for (const { topic, partition, offset } of offsets) lastCommit.set(partitionKey(topic, partition), offset);
    };

    const join = async (slot: number) => {
      const spec = SLOTS[slot]!;
      const joined = await groups.join(GROUP, {
        topics: spec.topics.map(full),
        sessionTimeoutMs: SESSION_MS,
        clientId: `slot-${slot}`,
        ...(spec.instanceId ? { instanceId: spec.instanceId } : {}),
      });
      const client: Client = {
        slot,
        memberId: joined.memberId,
        generation: 0,
        assigned: new Set(),
        positions: new Map(),
        nextHeartbeatAt: clock + HEARTBEAT_MS,
        leaseEndsAt: clock + SESSION_MS,
        state: 'live',
        random: seededRandom(SEED + 7919 * (stats.joins + 1)),
      };
      apply(client, joined);
      clients[slot] = client;
      stats.joins++;
      return joined;
    };

    for (let step = 0; step < STEPS; step++) {
      clock += STEP_MS;

      // A topic grows half-way through.
      if (step === GROWTH.step) {
        const altered = await brook.call({ method: 'PATCH', path: `/v1/topics/${full(GROWTH.topic)}`, body: { partitions: GROWTH.partitions } });
        expect(altered.status).toBe(200);
        await fill(full(GROWTH.topic), partitions[GROWTH.topic]!, GROWTH.partitions);
        partitions[GROWTH.topic] = GROWTH.partitions;
      }

      // Membership events, one at a time.
      for (let slot = 0; slot < SLOTS.length; slot++) {
        const client = clients[slot];
        const roll = next();
        if (!client) {
          if (roll < 0.08) await join(slot);
        } else if (client.state === 'crashed') {
          if (client.restartAt !== undefined && clock >= client.restartAt) {
            clients[slot] = undefined;
            const static_ = SLOTS[slot]!.instanceId !== undefined && clock < client.leaseEndsAt;
            const before = static_ ? planFromMeta(await readMeta()) : undefined;
            const joined = await join(slot);
            if (before && joined.generation === before.generation) {
              // Static membership: the same generation, and the old member's partitions.
              const held = [...before.owners].filter(([key, id]) => id === client.memberId && before.targets.get(key) === id).map(([key]) => key);
              expect([...clients[slot]!.assigned].sort()).toEqual(held.sort());
              stats.staticKept++;
            }
          }
        } else if (roll < 0.02) {
          // A graceful leave: commit, then leave.
          await commitOwned(client, [...client.assigned]);
          await groups.leave(GROUP, client.memberId);
          clients[slot] = undefined;
          stats.leaves++;
        } else if (roll < 0.05) {
          // A crash: no more heartbeats. Some restart (static ones often within their session timeout), the rest are zombies.
          client.state = 'crashed';
          stats.crashes++;
          if (next() < 0.7) client.restartAt = clock + STEP_MS * (1 + Math.floor(next() * 20));
          else {
            zombies.push(client);
            clients[slot] = undefined;
          }
        }
      }

      // Heartbeats and commits, concurrently, as independent clients would.
      const live = clients.filter((client): client is Client => client?.state === 'live');
      await Promise.all(
        live.map(async (client) => {
          if (clock >= client.nextHeartbeatAt) {
            stats.heartbeats++;
            let response: HeartbeatResult;
            try {
              response = await groups.heartbeat(GROUP, client.memberId, client.generation);
            } catch (error) {
              throw new Error(`heartbeat of live ${client.memberId} (lease to ${client.leaseEndsAt}, now ${clock}): ${(error as Error).message}`);
            }
            client.nextHeartbeatAt = clock + HEARTBEAT_MS;
            client.leaseEndsAt = clock + SESSION_MS;
            const revoked = apply(client, response);
            // Cooperative: commit what is being taken away before acknowledging (next heartbeat).
            await commitOwned(client, revoked);
            if (response.rebalancing) client.nextHeartbeatAt = Math.min(client.nextHeartbeatAt, clock + STEP_MS);
          } else if (client.random() < 0.5) {
            await commitOwned(client, [...client.assigned]);
          }
          // Now and then, a commit past the end of the log: refused, and nothing changes.
          const some = [...client.assigned][0];
          if (some && client.random() < 0.05) {
            const at = some.lastIndexOf('#');
            const code = await expectCode(
              groups.commit(GROUP, { memberId: client.memberId, generation: client.generation, offsets: [{ topic: some.slice(0, at), partition: Number(some.slice(at + 1)), offset: LOG_LENGTH + 1 }] }),
            );
            expect(code).toBe('INVALID_OFFSET');
            stats.beyondLogRefused++;
          }
        }),
      );

      // Zombies commit what they think they own: fenced once their lease has run out (and forgotten after a few tries).
      for (const zombie of [...zombies]) {
        if (clock >= zombie.leaseEndsAt + 5 * SESSION_MS) zombies.splice(zombies.indexOf(zombie), 1);
        if (next() > 0.3 || zombie.assigned.size === 0) continue;
        const key = [...zombie.assigned][Math.floor(next() * zombie.assigned.size)]!;
        const at = key.lastIndexOf('#');
        stats.zombieCommits++;
        const code = await expectCode(
          groups.commit(GROUP, { memberId: zombie.memberId, generation: zombie.generation, offsets: [{ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset: Math.min(LOG_LENGTH, zombie.positions.get(key)! + 1) }] }),
        );
        if (clock >= zombie.leaseEndsAt) {
          expect(code, `zombie ${zombie.memberId} after its lease`).toBe('FENCED_MEMBER');
          stats.zombiesFenced++;
        } else if (code === undefined) {
          zombie.positions.set(key, Math.min(LOG_LENGTH, zombie.positions.get(key)! + 1));
          lastCommit.set(key, zombie.positions.get(key)!);
        }
      }

      // Every few steps, everyone who ever held a member id tries to commit one partition: at most one may.
      if (step % 4 === 0) {
        const everyone = [...clients.filter((c): c is Client => c !== undefined), ...zombies];
        const topic = ['a', 'b', 'c'][Math.floor(next() * 3)]!;
        const partition = Math.floor(next() * partitions[topic]!);
        const key = partitionKey(full(topic), partition);
        const codes = await Promise.all(
          everyone.map((client) =>
            expectCode(groups.commit(GROUP, { memberId: client.memberId, generation: client.generation, offsets: [{ topic: full(topic), partition, offset: lastCommit.get(key) ?? 0 }] })),
          ),
        );
        const allowed = everyone.filter((_, i) => codes[i] === undefined);
        expect(allowed.length, `members allowed to commit ${key} at step ${step}`).toBeLessThanOrEqual(1);
        for (const code of codes) expect(['FENCED_MEMBER', 'REBALANCE_IN_PROGRESS', undefined]).toContain(code);
        stats.probes++;
        if (allowed.length === 1) stats.probesWithOwner++;
      }

      // The invariants, on the stored items.
      const items = await readGroup(doc);
      const meta = items.find((item) => item.sk === 'meta') as MetaItem | undefined;
      const members = items.filter((item) => item.sk.startsWith('member#')) as MemberItem[];
      const offsets = items.filter((item) => item.sk.startsWith('offset#')) as OffsetItem[];
      const plan = planFromMeta(meta);
      const liveIds = new Set(members.filter((m) => m.expiresAt > clock).map((m) => m.memberId));

      // 1. At most one live member may commit each partition, and the meta item agrees with the offset items.
      for (const item of offsets) {
        const key = partitionKey(item.topic, item.partition);
        expect(plan.owners.get(key), `owner of ${key} at step ${step}`).toBe(item.owner);
        const allowed = [...liveIds].filter((id) => item.owner === id);
        expect(allowed.length).toBeLessThanOrEqual(1);
      }
      for (const key of plan.owners.keys()) expect(offsets.some((item) => partitionKey(item.topic, item.partition) === key)).toBe(true);

      // 2. Every partition a live member subscribes to has a live owner within a session timeout plus a heartbeat.
      const subscribed = new Set(members.filter((m) => liveIds.has(m.memberId)).flatMap((m) => m.topics));
      for (const [short, count] of Object.entries(partitions)) {
        for (let p = 0; p < count; p++) {
          const key = partitionKey(full(short), p);
          const owner = plan.owners.get(key);
          if (!subscribed.has(full(short)) || (owner !== undefined && liveIds.has(owner))) {
            unownedSince.delete(key);
            continue;
          }
          const since = unownedSince.get(key) ?? clock;
          unownedSince.set(key, since);
          stats.maxUnownedMs = Math.max(stats.maxUnownedMs, clock - since);
          expect(clock - since, `${key} unowned at step ${step}`).toBeLessThanOrEqual(SESSION_MS + HEARTBEAT_MS);
        }
      }

      // 3. The plan is balanced over its members.
      const planned = plan.members.map((id) => ({ id, topics: members.find((m) => m.memberId === id)?.topics ?? [] }));
      expect(isBalanced(plan.targets, planned, [...plan.targets.keys()]), `balance at step ${step}`).toBe(true);

      // 4. Committed offsets never move backwards.
      for (const item of offsets) {
        if (item.offset === undefined) continue;
        const key = partitionKey(item.topic, item.partition);
        expect(item.offset, `offset of ${key} at step ${step}`).toBeGreaterThanOrEqual(committed.get(key) ?? 0);
        committed.set(key, item.offset);
      }
    }

    console.log(`simulation: ${JSON.stringify(stats)}`);
    expect(stats.crashes).toBeGreaterThan(5);
    expect(stats.zombiesFenced).toBeGreaterThan(0);
    expect(stats.staticKept).toBeGreaterThan(0);
    expect(stats.beyondLogRefused).toBeGreaterThan(0);
    expect(stats.probesWithOwner).toBeGreaterThan(stats.probes / 2);
    // The grown topic's new partitions were picked up.
    expect(committed.has(partitionKey(full(GROWTH.topic), GROWTH.partitions - 1))).toBe(true);
  }, 300_000);
});

async function readMeta(): Promise<MetaItem | undefined> {
  const items = await readGroup(createDocumentClient(brook.config));
  return items.find((item) => item.sk === 'meta') as MetaItem | undefined;
}

async function readGroup(doc: ReturnType<typeof createDocumentClient>): Promise<{ sk: string }[]> {
  const items: { sk: string }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: brook.config.tables.groups,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': GROUP },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as { sk: string }[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

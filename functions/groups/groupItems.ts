/**
 * The items of one consumer group in the groups table, all under `pk = <group>`
 * (docs/groups.md, "Items"):
 *
 * - `meta`: `generation`, `version` (every change of the item is conditional
 *   on it) and `plan`, gzipped JSON (`StoredPlan`): the members and their
 *   target partitions, the owner of every owned partition, the partitions on
 *   the move, and the subscribed topics as last seen. Gzip keeps the item, which
 *   every heartbeat reads, at a few KB for a hundred members.
 * - `member#<memberId>`: one lease per member, the only item a heartbeat writes.
 * - `offset#<topic>#<partition>`: the partition's lease holder (`owner`) next to
 *   its committed offset, so that a commit is one conditional write of one item.
 *
 * `member#` sorts before `meta`, which sorts before `offset#`: one query reads
 * the members and the meta item, another the meta item and the offsets.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  decodePartitionSet,
  encodePartitionSet,
  EMPTY_PLAN,
  type GroupPlan,
  type PartitionKey,
  type Revocation,
  type TopicSnapshot,
} from './assignment.js';

export const META_SORT_KEY = 'meta';
export const MEMBER_PREFIX = 'member#';
export const OFFSET_PREFIX = 'offset#';

/** How long a member item outlives its lease before DynamoDB TTL may collect it (liveness never depends on it). */
export const MEMBER_TTL_MARGIN_SECONDS = 3600;

export function memberSortKey(memberId: string): string {
  return `${MEMBER_PREFIX}${memberId}`;
}

export function offsetSortKey(topic: string, partition: number): string {
  return `${OFFSET_PREFIX}${topic}#${partition}`;
}

export interface MetaItem {
  pk: string;
  sk: typeof META_SORT_KEY;
  generation: number;
  /** Bumped by every write of this item; every write is conditional on it. */
  version: number;
  /** `StoredPlan` as gzipped JSON. */
  plan: Uint8Array;
  createdAt: number;
  updatedAt: number;
}

/** The plan inside the meta item. */
export interface StoredPlan {
  /** Member id -> its target partitions (encoded, see `encodePartitionSet`); every member of the plan has an entry. */
  members: Record<string, string>;
  /** Member id -> the partitions it owns (encoded). */
  owners: Record<string, string>;
  /** `topic#partition` -> [generation that moved it, since (ms)], for partitions whose owner is not their target. */
  moving: Record<string, [number, number]>;
  /** Topic -> [topicId, partition count], as last seen. */
  topics: Record<string, [string, number]>;
}

export interface MemberItem {
  pk: string;
  sk: string;
  memberId: string;
  clientId?: string;
  instanceId?: string;
  topics: string[];
  sessionTimeoutMs: number;
  /** Epoch ms; the member is live while `expiresAt > now`. */
  expiresAt: number;
  /** Epoch seconds, for DynamoDB TTL only. */
  ttl: number;
  /** The last generation the member acknowledged (heartbeat). */
  ackGeneration: number;
  joinedAt: number;
}

export interface OffsetItem {
  pk: string;
  sk: string;
  topic: string;
  partition: number;
  /** The member that may commit this partition. */
  owner?: string;
  /** The topic's id when the owner was set (or the offset reset). */
  topicId?: string;
  /** The committed offset: the next offset to read. */
  offset?: number;
  /** The topic's id when `offset` was committed: an offset of a since re-created topic is ignored. */
  offsetTopicId?: string;
  metadata?: string;
  committedAt?: number;
}

export function ttlFor(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000) + MEMBER_TTL_MARGIN_SECONDS;
}

/** The plan a meta item holds (the empty plan when there is none). */
export function planFromMeta(meta: MetaItem | undefined): GroupPlan {
  if (!meta) return EMPTY_PLAN;
  const stored = storedPlan(meta);
  const targets = new Map<PartitionKey, string>();
  for (const [memberId, encoded] of Object.entries(stored.members)) {
    for (const key of decodePartitionSet(encoded)) targets.set(key, memberId);
  }
  const owners = new Map<PartitionKey, string>();
  for (const [memberId, encoded] of Object.entries(stored.owners)) {
    for (const key of decodePartitionSet(encoded)) owners.set(key, memberId);
  }
  const moving = new Map<PartitionKey, Revocation>(
    Object.entries(stored.moving).map(([key, [generation, since]]) => [key, { generation, since }]),
  );
  const topics = new Map<string, TopicSnapshot>(
    Object.entries(stored.topics).map(([topic, [id, partitions]]) => [topic, { id, partitions }]),
  );
  return { generation: meta.generation, members: Object.keys(stored.members).sort(), topics, targets, owners, moving };
}

/** The JSON a meta item's `plan` holds. */
export function storedPlan(meta: Pick<MetaItem, 'plan'>): StoredPlan {
  const stored = JSON.parse(gunzipSync(meta.plan).toString('utf8')) as Partial<StoredPlan>;
  return { members: stored.members ?? {}, owners: stored.owners ?? {}, moving: stored.moving ?? {}, topics: stored.topics ?? {} };
}

/** The attributes of a meta item that hold `plan`. */
export function metaAttributes(plan: GroupPlan): Pick<MetaItem, 'generation' | 'plan'> {
  const byMember = (map: ReadonlyMap<PartitionKey, string>, everyone: readonly string[]) => {
    const keys = new Map<string, PartitionKey[]>(everyone.map((id) => [id, []]));
    for (const [key, memberId] of map) {
      let list = keys.get(memberId);
      if (!list) keys.set(memberId, (list = []));
      list.push(key);
    }
    return Object.fromEntries([...keys].map(([id, list]) => [id, encodePartitionSet(list)]));
  };
  const stored: StoredPlan = {
    members: byMember(plan.targets, plan.members),
    owners: byMember(plan.owners, []),
    moving: Object.fromEntries([...plan.moving].map(([key, { generation, since }]) => [key, [generation, since]])),
    topics: Object.fromEntries([...plan.topics].map(([topic, { id, partitions }]) => [topic, [id, partitions]])),
  };
  return { generation: plan.generation, plan: new Uint8Array(gzipSync(JSON.stringify(stored))) };
}

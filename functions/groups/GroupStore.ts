/**
 * The group coordinator's reads of DynamoDB: a group as one strongly
 * consistent query sees it, single items, the meta item of a group that has
 * only offsets, deleting a group's items, and the topic metadata a rebalance
 * reuses for a while. Every part of the coordinator shares one store, and
 * with it the clock and the topic cache.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { PartitionLog } from '../log/PartitionLog.js';
import { batchWriteAll, queryAll } from '../storage/bulk.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { SnapshotReader } from '../log/SnapshotReader.js';
import type { TopicRegistry } from '../topics/TopicRegistry.js';
import type { GroupPlan, LiveMember, TopicSnapshot } from './assignment.js';
import { translateGroupError } from './groupErrors.js';
import { MEMBER_PREFIX, META_SORT_KEY, metaAttributes, OFFSET_PREFIX, planFromMeta, type MemberItem, type MetaItem, type OffsetItem } from './groupItems.js';

export interface GroupCoordinatorOptions {
  doc: DynamoDBDocumentClient;
  tables: { groups: string; log: string };
  /** For offsets by time (reset to a timestamp). */
  log: Pick<PartitionLog, 'offsetForTimestamp'>;
  topics: Pick<TopicRegistry, 'find'>;
  /** Reads topics and HEADs in one round trip (a commit's check against the high watermarks); without it, topic then HEADs. */
  snapshots?: Pick<SnapshotReader, 'read'>;
  /** The clock (epoch ms). Liveness is always `expiresAt > now()`. @default Date.now */
  now?: () => number;
  /**
   * How long topic metadata read for a rebalance may be reused by this
   * process; partitions added to a topic are picked up within it. Joins,
   * commits without a member, resets and describes always read afresh. @default 5000
   */
  topicMetadataMaxAgeMs?: number;
}

/** A group as one strongly consistent query saw it. */
export interface GroupSnapshot {
  meta: MetaItem | undefined;
  plan: GroupPlan;
  members: MemberItem[];
  offsets: OffsetItem[];
}

/** Attempts of a change planned from a read and conditional on it (a sync, a take-over, a delete) before giving up. */
export const MAX_SYNC_ATTEMPTS = 12;

export function liveMembers(snapshot: GroupSnapshot, now: number): MemberItem[] {
  return snapshot.members.filter((member) => member.expiresAt > now);
}

export function toLiveMember(member: MemberItem): LiveMember {
  return { id: member.memberId, topics: member.topics, ackGeneration: member.ackGeneration, sessionTimeoutMs: member.sessionTimeoutMs };
}

export class GroupStore {
  readonly doc: DynamoDBDocumentClient;
  /** The groups table. */
  readonly table: string;
  /** The log table, for partitions' high watermarks. */
  readonly logTable: string;
  readonly topics: Pick<TopicRegistry, 'find'>;
  readonly snapshots: Pick<SnapshotReader, 'read'> | undefined;
  readonly now: () => number;
  private readonly topicMaxAgeMs: number;
  private readonly topicCache = new Map<string, { at: number; snapshot: TopicSnapshot | undefined }>();

  constructor(options: GroupCoordinatorOptions) {
    this.doc = options.doc;
    this.table = options.tables.groups;
    this.logTable = options.tables.log;
    this.topics = options.topics;
    this.snapshots = options.snapshots;
    this.now = options.now ?? Date.now;
    this.topicMaxAgeMs = options.topicMetadataMaxAgeMs ?? 5_000;
  }

  /**
   * One strongly consistent query: `members` reads the member items and the
   * meta item (they sort next to each other), `offsets` the meta item and the
   * offset items, `all` everything.
   */
  async read(group: string, scope: 'members' | 'offsets' | 'all'): Promise<GroupSnapshot> {
    const input: QueryCommandInput = {
      TableName: this.table,
      ConsistentRead: true,
      KeyConditionExpression:
        scope === 'members' ? 'pk = :pk AND sk BETWEEN :from AND :to' : scope === 'offsets' ? 'pk = :pk AND sk >= :from' : 'pk = :pk',
      ExpressionAttributeValues:
        scope === 'members'
          ? { ':pk': group, ':from': MEMBER_PREFIX, ':to': META_SORT_KEY }
          : scope === 'offsets'
            ? { ':pk': group, ':from': META_SORT_KEY }
            : { ':pk': group },
    };
    const snapshot: GroupSnapshot = { meta: undefined, plan: planFromMeta(undefined), members: [], offsets: [] };
    for (const item of await queryAll<{ sk: string }>(this.doc, input)) {
      if (item.sk === META_SORT_KEY) snapshot.meta = item as MetaItem;
      else if (item.sk.startsWith(MEMBER_PREFIX)) snapshot.members.push(item as MemberItem);
      else if (item.sk.startsWith(OFFSET_PREFIX)) snapshot.offsets.push(item as OffsetItem);
    }
    snapshot.plan = planFromMeta(snapshot.meta);
    return snapshot;
  }

  async getItem<T>(group: string, sk: string): Promise<T | undefined> {
    try {
      const result = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: group, sk }, ConsistentRead: true }));
      return result.Item as T | undefined;
    } catch (error) {
      throw translateGroupError(error);
    }
  }

  /** Creates the meta item of a group that has only offsets, so that the group is listed. */
  async ensureMeta(group: string, snapshot: GroupSnapshot, now: number): Promise<void> {
    if (snapshot.meta) return;
    const item: MetaItem = { pk: group, sk: META_SORT_KEY, ...metaAttributes(snapshot.plan), version: 1, createdAt: now, updatedAt: now };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateGroupError(error);
    }
  }

  async deleteItems(group: string, sortKeys: string[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.table,
      sortKeys.map((sk) => ({ DeleteRequest: { Key: { pk: group, sk } } })),
    );
  }

  /** The topics as the registry has them now (and into the cache). */
  async freshTopics(names: string[]): Promise<Map<string, TopicSnapshot | undefined>> {
    const found = await Promise.all(names.map((name) => this.topics.find(name)));
    const now = this.now();
    const result = new Map<string, TopicSnapshot | undefined>();
    names.forEach((name, i) => {
      const topic = found[i];
      const snapshot = topic ? { id: topic.topicId, partitions: topic.partitions } : undefined;
      this.topicCache.set(name, { at: now, snapshot });
      result.set(name, snapshot);
    });
    return result;
  }

  /**
   * Topic metadata for a rebalance, from this process's cache when it is
   * recent and agrees with what the plan saw (partitions only grow, so a
   * cache entry with fewer partitions, another id or no topic is out of date
   * and read again: two processes never undo each other's plans).
   */
  async cachedTopics(names: string[], plan: GroupPlan): Promise<Map<string, TopicSnapshot | undefined>> {
    const now = this.now();
    const stale = names.filter((name) => {
      const cached = this.topicCache.get(name);
      if (!cached || now - cached.at >= this.topicMaxAgeMs || now < cached.at) return true;
      const planned = plan.topics.get(name);
      return planned !== undefined && (cached.snapshot?.id !== planned.id || cached.snapshot.partitions < planned.partitions);
    });
    if (stale.length > 0) await this.freshTopics(stale);
    return new Map(names.map((name) => [name, this.topicCache.get(name)?.snapshot]));
  }

  /** The partition count last seen of a topic (0 if none was). */
  cachedPartitions(name: string): number {
    return this.topicCache.get(name)?.snapshot?.partitions ?? 0;
  }
}

import { randomBytes } from 'node:crypto';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import type {
  GroupDescription,
  GroupMember,
  GroupOffset,
  GroupState,
  GroupSummary,
  OffsetReset,
  ResetOffsetsRequest,
  ResetTarget,
  TopicPartitions,
} from '../../protocol/types.js';
import { readHeadsOf, readPartitionHeads } from '../log/partitionHead.js';
import type { PartitionLog } from '../log/PartitionLog.js';
import { isConditionalCheckFailed, translateStorageError } from '../storage/errors.js';
import type { Topic, TopicRegistry } from '../topics/TopicRegistry.js';
import {
  comparePartitionKeys,
  consumable,
  memberIsRebalancing,
  parsePartitionKey,
  partitionKey,
  reconcile,
  toAssignment,
  type GroupPlan,
  type LiveMember,
  type OwnerChange,
  type PartitionKey,
  type ReconcileResult,
  type TopicSnapshot,
} from './assignment.js';
import {
  MEMBER_PREFIX,
  META_SORT_KEY,
  memberSortKey,
  metaAttributes,
  OFFSET_PREFIX,
  offsetSortKey,
  planFromMeta,
  ttlFor,
  type MemberItem,
  type MetaItem,
  type OffsetItem,
} from './groupItems.js';

/** `sessionTimeoutMs` 6000..300000, default 30000 (docs/http.md, Consumer groups). */
export const SESSION_TIMEOUT = { min: 6_000, max: 300_000, default: 30_000 } as const;
/** Live members a group may have: the meta item (at most 400 KB) lists them all. */
export const MAX_GROUP_MEMBERS = 1_000;
/** Partitions the topics of a group's members may add up to. */
export const MAX_GROUP_PARTITIONS = 10_000;
/** Kafka's `offset.metadata.max.bytes`. */
export const MAX_METADATA_LENGTH = 4_096;

/** A member heartbeats three times per session timeout, as Kafka's clients do by default. */
export function heartbeatIntervalFor(sessionTimeoutMs: number): number {
  return Math.floor(sessionTimeoutMs / 3);
}

export type { GroupState };
/** A member's partitions of one topic (the `assignment` entries of docs/http.md). */
export type Assignment = TopicPartitions;
export type CommittedOffset = GroupOffset;
export type MemberDescription = GroupMember;
export type ResetInput = ResetOffsetsRequest;
export type ResetEntry = OffsetReset;
export type { GroupDescription, GroupSummary, ResetTarget };

export interface JoinInput {
  topics: string[];
  sessionTimeoutMs?: number;
  clientId?: string;
  instanceId?: string;
}

export interface JoinResult {
  memberId: string;
  generation: number;
  assignment: Assignment[];
  heartbeatIntervalMs: number;
}

export interface HeartbeatResult {
  generation: number;
  assignment: Assignment[];
  rebalancing: boolean;
}

export interface CommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

export interface CommitInput {
  memberId?: string;
  generation?: number;
  offsets: CommitEntry[];
}








export interface GroupCoordinatorOptions {
  doc: DynamoDBDocumentClient;
  tables: { groups: string; log: string };
  /** For offsets by time (reset to a timestamp). */
  log: Pick<PartitionLog, 'offsetForTimestamp'>;
  topics: Pick<TopicRegistry, 'find'>;
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
interface Snapshot {
  meta: MetaItem | undefined;
  plan: GroupPlan;
  members: MemberItem[];
  offsets: OffsetItem[];
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const MAX_SYNC_ATTEMPTS = 12;
const MAX_TRANSACTION_ITEMS = 100;
/** Stale members whose lease is re-checked inside a rebalance transaction (the rest rely on the clock alone). */
const MAX_DEPARTURE_CHECKS = 40;
const WRITE_CONCURRENCY = 16;
const MAX_CONFLICT_RETRIES = 5;

/**
 * The group coordinator (docs/groups.md): members are leases, the plan and
 * ownership live in the group's meta item, and each partition's owner sits on
 * its offset item, next to the committed offset, so a commit is one write
 * conditioned on its own item. Every change of ownership is a transaction
 * that also moves the meta item's version on, so any two requests that plan
 * from the same state cannot both succeed.
 */
export class GroupCoordinator {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly logTable: string;
  private readonly log: Pick<PartitionLog, 'offsetForTimestamp'>;
  private readonly topics: Pick<TopicRegistry, 'find'>;
  private readonly now: () => number;
  private readonly topicMaxAgeMs: number;
  private readonly topicCache = new Map<string, { at: number; snapshot: TopicSnapshot | undefined }>();

  constructor(options: GroupCoordinatorOptions) {
    this.doc = options.doc;
    this.table = options.tables.groups;
    this.logTable = options.tables.log;
    this.log = options.log;
    this.topics = options.topics;
    this.now = options.now ?? Date.now;
    this.topicMaxAgeMs = options.topicMetadataMaxAgeMs ?? 5_000;
  }

  // -------------------------------------------------------------------------
  // Membership
  // -------------------------------------------------------------------------

  async join(group: string, input: JoinInput): Promise<JoinResult> {
    const sessionTimeoutMs = input.sessionTimeoutMs ?? SESSION_TIMEOUT.default;
    const topicNames = [...new Set(input.topics)].sort();
    const found = await this.freshTopics(topicNames);
    for (const name of topicNames) {
      if (!found.get(name)) throw new BrookError('TOPIC_NOT_FOUND', `topic "${name}" does not exist`);
    }
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.read(group, 'members');
      const now = this.now();
      const live = liveMembers(snapshot, now);
      const previous = input.instanceId === undefined ? undefined : live.find((member) => member.instanceId === input.instanceId);
      if (!previous && live.length >= MAX_GROUP_MEMBERS) {
        throw new BrookError('INVALID_REQUEST', `group "${group}" has the most members a group may have (${MAX_GROUP_MEMBERS})`);
      }
      const subscribed = new Set([...live.filter((m) => m !== previous).flatMap((m) => m.topics), ...topicNames]);
      const partitions = [...subscribed].reduce((sum, name) => sum + (found.get(name)?.partitions ?? this.cachedPartitions(name)), 0);
      if (partitions > MAX_GROUP_PARTITIONS) {
        throw new BrookError('INVALID_REQUEST', `the topics of group "${group}" would have ${partitions} partitions; at most ${MAX_GROUP_PARTITIONS}`);
      }
      const member: MemberItem = {
        pk: group,
        sk: '',
        memberId: newMemberId(),
        ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
        ...(input.instanceId !== undefined ? { instanceId: input.instanceId } : {}),
        topics: topicNames,
        sessionTimeoutMs,
        expiresAt: now + sessionTimeoutMs,
        ttl: ttlFor(now + sessionTimeoutMs),
        ackGeneration: 0,
        joinedAt: now,
      };
      member.sk = memberSortKey(member.memberId);
      try {
        if (previous) {
          // Static membership: the new member takes the old one's place, partitions and generation; the old id is fenced.
          member.ackGeneration = snapshot.plan.generation;
          await this.takeOver(group, snapshot, previous, member, now);
        } else {
          await this.doc.send(
            new PutCommand({ TableName: this.table, Item: member, ConditionExpression: 'attribute_not_exists(pk)' }),
          );
        }
      } catch (error) {
        if (previous && isRetriableConflict(error) && attempt < MAX_SYNC_ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        throw translateError(error);
      }
      let synced: Snapshot;
      try {
        synced = await this.sync(group);
      } catch (error) {
        // Leave no member behind that its client does not know about (it would hold partitions until it expires).
        if (!previous) await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: group, sk: member.sk } })).catch(() => undefined);
        throw error;
      }
      return {
        memberId: member.memberId,
        generation: synced.plan.generation,
        assignment: toAssignment(consumable(synced.plan, member.memberId)),
        heartbeatIntervalMs: heartbeatIntervalFor(sessionTimeoutMs),
      };
    }
  }

  async heartbeat(group: string, memberId: string, generation: number): Promise<HeartbeatResult> {
    const snapshot = await this.read(group, 'members');
    const now = this.now();
    const known = snapshot.members.find((member) => member.memberId === memberId);
    if (!known || known.expiresAt <= now) throw memberNotFound(group, memberId);
    // A generation the group has not reached acknowledges nothing beyond the current one.
    const ackGeneration = Math.min(generation, snapshot.plan.generation);
    const expiresAt = now + known.sessionTimeoutMs;
    let updated: MemberItem;
    try {
      const result = await withConflictRetries(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: group, sk: memberSortKey(memberId) },
            UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl, #ack = :ack',
            ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now',
            ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#ttl': 'ttl', '#ack': 'ackGeneration' },
            ExpressionAttributeValues: { ':expiresAt': expiresAt, ':ttl': ttlFor(expiresAt), ':ack': ackGeneration, ':now': now },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      updated = result.Attributes as MemberItem;
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw memberNotFound(group, memberId);
      throw translateError(error);
    }
    const members = snapshot.members.map((member) => (member.memberId === memberId ? updated : member));
    const synced = await this.sync(group, { ...snapshot, members });
    return {
      generation: synced.plan.generation,
      assignment: toAssignment(consumable(synced.plan, memberId)),
      rebalancing: memberIsRebalancing(synced.plan, memberId),
    };
  }

  async leave(group: string, memberId: string): Promise<void> {
    try {
      await withConflictRetries(() =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { pk: group, sk: memberSortKey(memberId) },
            ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now',
            ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':now': this.now() },
          }),
        ),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw memberNotFound(group, memberId);
      throw translateError(error);
    }
    // Its partitions move at once: released, and given to their new targets in the same write.
    await this.sync(group);
  }

  // -------------------------------------------------------------------------
  // Offsets
  // -------------------------------------------------------------------------

  async commit(group: string, input: CommitInput): Promise<void> {
    if (input.memberId === undefined) return this.commitWithoutMember(group, input.offsets);
    const memberId = input.memberId;
    const now = this.now();
    const [member, beyondLog] = await Promise.all([
      this.getItem<MemberItem>(group, memberSortKey(memberId)),
      this.aboveHighWatermark(input.offsets),
    ]);
    if (!member || member.expiresAt <= now) {
      throw new BrookError('FENCED_MEMBER', `member "${memberId}" is not a live member of group "${group}"; join again`);
    }
    if (beyondLog) throw (await this.fenceOf(group, memberId, beyondLog.entry)) ?? beyondLog.error;
    const failures = await mapLimit(input.offsets, WRITE_CONCURRENCY, async (entry) => {
      const names: Record<string, string> = {
        '#owner': 'owner',
        '#offset': 'offset',
        '#offsetTopicId': 'offsetTopicId',
        '#topicId': 'topicId',
        '#committedAt': 'committedAt',
        '#metadata': 'metadata',
      };
      const values: Record<string, NativeAttributeValue> = { ':member': memberId, ':offset': entry.offset, ':now': now };
      let update = 'SET #offset = :offset, #offsetTopicId = #topicId, #committedAt = :now';
      if (entry.metadata !== undefined) {
        update += ', #metadata = :metadata';
        values[':metadata'] = entry.metadata;
      } else {
        update += ' REMOVE #metadata';
      }
      try {
        await withConflictRetries(() =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: group, sk: offsetSortKey(entry.topic, entry.partition) },
              UpdateExpression: update,
              // Only the owner, which may also move its offset back (a replay after a seek, as in Kafka).
              ConditionExpression: '#owner = :member',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateError(error);
        return 'notOwner' as const;
      }
    });
    if (failures.every((failure) => failure === undefined)) return;
    let plan: GroupPlan | undefined;
    if (failures.includes('notOwner')) plan = planFromMeta(await this.getItem<MetaItem>(group, META_SORT_KEY));
    const errors = failures.map((failure, i) => (failure === 'notOwner' ? notOwner(group, memberId, input.offsets[i]!, plan!) : failure));
    throw firstFailure(input.offsets, errors);
  }

  /** Why `memberId` may not commit `entry`'s partition, or undefined if it owns it (read afresh). */
  private async fenceOf(group: string, memberId: string, entry: CommitEntry): Promise<BrookError | undefined> {
    const item = await this.getItem<OffsetItem>(group, offsetSortKey(entry.topic, entry.partition));
    if (item?.owner === memberId) return undefined;
    return notOwner(group, memberId, entry, planFromMeta(await this.getItem<MetaItem>(group, META_SORT_KEY)));
  }

  /** A commit with no member: only while the group has no live members. Never backwards. */
  private async commitWithoutMember(group: string, offsets: CommitEntry[]): Promise<void> {
    const topics = await this.checkPartitions(offsets.map(({ topic, partition }) => ({ topic, partition })));
    const beyondLog = await this.aboveHighWatermark(offsets, topics);
    if (beyondLog) throw beyondLog.error;
    const snapshot = await this.read(group, 'members');
    const now = this.now();
    if (liveMembers(snapshot, now).length > 0) throw groupNotEmpty(group);
    await this.ensureMeta(group, snapshot, now);
    const failures = await mapLimit(offsets, WRITE_CONCURRENCY, async (entry) => {
      const topicId = topics.get(entry.topic)!.topicId;
      const seenOwner = snapshot.plan.owners.get(partitionKey(entry.topic, entry.partition));
      const values: Record<string, NativeAttributeValue> = {
        ':topic': entry.topic,
        ':partition': entry.partition,
        ':offset': entry.offset,
        ':topicId': topicId,
        ':now': now,
        ...(seenOwner !== undefined ? { ':owner': seenOwner } : {}),
        ...(entry.metadata !== undefined ? { ':metadata': entry.metadata } : {}),
      };
      try {
        await withConflictRetries(() =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: group, sk: offsetSortKey(entry.topic, entry.partition) },
              UpdateExpression:
                'SET #topic = :topic, #partition = :partition, #offset = :offset, #topicId = :topicId, #offsetTopicId = :topicId, #committedAt = :now' +
                (entry.metadata !== undefined ? ', #metadata = :metadata' : ' REMOVE #metadata'),
              ConditionExpression:
                `(${ownerUnchanged(seenOwner)}) AND ` +
                '(attribute_not_exists(#offset) OR #offset <= :offset OR #offsetTopicId <> :topicId)',
              ExpressionAttributeNames: {
                '#topic': 'topic',
                '#partition': 'partition',
                '#offset': 'offset',
                '#topicId': 'topicId',
                '#offsetTopicId': 'offsetTopicId',
                '#committedAt': 'committedAt',
                '#metadata': 'metadata',
                '#owner': 'owner',
              },
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateError(error);
        const old = failedItem<OffsetItem>(error);
        if (old?.owner !== seenOwner) return groupNotEmpty(group);
        return behindCommitted(entry, old?.offset);
      }
    });
    if (failures.some((failure) => failure !== undefined)) throw firstFailure(offsets, failures);
  }

  /** Committed offsets of the group, with high watermarks and lag. */
  async offsets(group: string): Promise<CommittedOffset[]> {
    const snapshot = await this.read(group, 'offsets');
    if (!snapshot.meta && snapshot.offsets.length === 0) throw groupNotFound(group);
    return this.withLag(snapshot.offsets);
  }

  async resetOffsets(group: string, input: ResetInput): Promise<ResetEntry[]> {
    const topic = await this.topics.find(input.topic);
    if (!topic) throw new BrookError('TOPIC_NOT_FOUND', `topic "${input.topic}" does not exist`);
    const partitions = [...new Set(input.partitions ?? Array.from({ length: topic.partitions }, (_, p) => p))].sort((a, b) => a - b);
    for (const partition of partitions) {
      if (partition >= topic.partitions) {
        throw new BrookError('PARTITION_NOT_FOUND', `topic "${topic.name}" has no partition ${partition} (it has ${topic.partitions})`);
      }
    }
    const snapshot = await this.read(group, 'all');
    const now = this.now();
    if (liveMembers(snapshot, now).length > 0) throw groupNotEmpty(group);
    const heads = await readPartitionHeads(this.doc, this.logTable, topic.topicId, topic.partitions);
    const committed = new Map<number, number>();
    for (const item of snapshot.offsets) {
      if (item.topic === topic.name && item.offset !== undefined && item.offsetTopicId === topic.topicId) committed.set(item.partition, item.offset);
    }
    const entries = await mapLimit(partitions, WRITE_CONCURRENCY, async (partition): Promise<ResetEntry> => {
      const head = heads[partition]!;
      const clamp = (offset: number) => Math.min(Math.max(offset, head.logStartOffset), head.highWatermark);
      const before = committed.get(partition) ?? null;
      const to = input.to;
      let after: number;
      if (to === 'earliest') after = head.logStartOffset;
      else if (to === 'latest') after = head.highWatermark;
      else if ('timestamp' in to) after = await this.log.offsetForTimestamp(topic.topicId, partition, to.timestamp);
      else if ('offset' in to) after = clamp(to.offset);
      else after = clamp((before ?? head.logStartOffset) + to.shiftBy);
      return { topic: topic.name, partition, before, after };
    });
    if (input.dryRun) return entries;
    await this.ensureMeta(group, snapshot, now);
    const failures = await mapLimit(entries, WRITE_CONCURRENCY, async (entry) => {
      const seenOwner = snapshot.plan.owners.get(partitionKey(entry.topic, entry.partition));
      try {
        await withConflictRetries(() =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: group, sk: offsetSortKey(entry.topic, entry.partition) },
              UpdateExpression:
                'SET #topic = :topic, #partition = :partition, #offset = :offset, #topicId = :topicId, #offsetTopicId = :topicId, #committedAt = :now REMOVE #metadata',
              ConditionExpression: ownerUnchanged(seenOwner),
              ExpressionAttributeNames: {
                '#topic': 'topic',
                '#partition': 'partition',
                '#offset': 'offset',
                '#topicId': 'topicId',
                '#offsetTopicId': 'offsetTopicId',
                '#committedAt': 'committedAt',
                '#metadata': 'metadata',
                '#owner': 'owner',
              },
              ExpressionAttributeValues: {
                ':topic': entry.topic,
                ':partition': entry.partition,
                ':offset': entry.after,
                ':topicId': topic.topicId,
                ':now': now,
                ...(seenOwner !== undefined ? { ':owner': seenOwner } : {}),
              },
            }),
          ),
        );
        return undefined;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return groupNotEmpty(group);
        throw translateError(error);
      }
    });
    const failed = failures.find((failure) => failure !== undefined);
    if (failed) throw failed;
    return entries;
  }

  // -------------------------------------------------------------------------
  // Groups
  // -------------------------------------------------------------------------

  async describe(group: string): Promise<GroupDescription> {
    const snapshot = await this.read(group, 'all');
    if (!snapshot.meta && snapshot.members.length === 0 && snapshot.offsets.length === 0) throw groupNotFound(group);
    const now = this.now();
    const live = liveMembers(snapshot, now);
    const topics = await this.freshTopics([...new Set(live.flatMap((member) => member.topics))]);
    const state = groupState(snapshot, live, now, topics);
    return {
      group,
      state,
      generation: snapshot.plan.generation,
      members: live
        .sort((a, b) => a.joinedAt - b.joinedAt || (a.memberId < b.memberId ? -1 : 1))
        .map((member) => ({
          memberId: member.memberId,
          clientId: member.clientId ?? null,
          instanceId: member.instanceId ?? null,
          assignment: toAssignment(consumable(snapshot.plan, member.memberId)),
          expiresAt: member.expiresAt,
        })),
      offsets: await this.withLag(snapshot.offsets),
    };
  }

  /** Every group, sorted by name. One scan of the groups table (members and meta items only are returned). */
  async list(): Promise<GroupSummary[]> {
    const byGroup = new Map<string, { meta?: MetaItem; members: MemberItem[] }>();
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.doc.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'sk = :meta OR begins_with(sk, :member)',
            ExpressionAttributeValues: { ':meta': META_SORT_KEY, ':member': MEMBER_PREFIX },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const name = item.pk as string;
          let entry = byGroup.get(name);
          if (!entry) byGroup.set(name, (entry = { members: [] }));
          if (item.sk === META_SORT_KEY) entry.meta = item as MetaItem;
          else entry.members.push(item as MemberItem);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw translateError(error);
    }
    const now = this.now();
    return [...byGroup]
      .filter(([, entry]) => entry.meta !== undefined)
      .map(([group, entry]) => {
        const snapshot: Snapshot = { meta: entry.meta, plan: planFromMeta(entry.meta), members: entry.members, offsets: [] };
        const live = liveMembers(snapshot, now);
        return { group, state: groupState(snapshot, live, now), members: live.length };
      })
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  /** Deletes the group and its offsets; only while it has no live members. */
  async delete(group: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.read(group, 'all');
      if (!snapshot.meta && snapshot.members.length === 0 && snapshot.offsets.length === 0) throw groupNotFound(group);
      if (liveMembers(snapshot, this.now()).length > 0) throw groupNotEmpty(group);
      try {
        if (snapshot.meta) {
          // Conditional on the version: a join that planned meanwhile makes this fail, and the next look sees its member.
          await this.doc.send(
            new DeleteCommand({
              TableName: this.table,
              Key: { pk: group, sk: META_SORT_KEY },
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': snapshot.meta.version },
            }),
          );
        }
      } catch (error) {
        if (isRetriableConflict(error) && attempt < MAX_SYNC_ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        throw translateError(error);
      }
      await this.deleteItems(group, [...snapshot.members.map((m) => m.sk), ...snapshot.offsets.map((o) => o.sk)]);
      return;
    }
  }

  // -------------------------------------------------------------------------
  // Rebalancing
  // -------------------------------------------------------------------------

  /**
   * Brings the stored plan up to date with the live members and the topics:
   * reads the group (unless given a fresh snapshot), reconciles, and writes
   * the result if anything changed, conditional on the meta item's version.
   * On a conflict it starts again from a fresh read.
   */
  private async sync(group: string, initial?: Snapshot): Promise<Snapshot> {
    let snapshot = initial;
    for (let attempt = 1; ; attempt++) {
      snapshot ??= await this.read(group, 'members');
      const now = this.now();
      const live = liveMembers(snapshot, now);
      const topics = await this.cachedTopics([...new Set(live.flatMap((member) => member.topics))], snapshot.plan);
      const result = reconcile({ plan: snapshot.plan, members: live.map(toLiveMember), topics, now });
      if (!result.changed) return snapshot;
      try {
        const meta = await this.writePlan(group, snapshot, result, now);
        return { ...snapshot, meta, plan: result.plan };
      } catch (error) {
        if (!isRetriableConflict(error)) throw translateError(error);
        if (attempt >= MAX_SYNC_ATTEMPTS) {
          throw new BrookError('UNAVAILABLE', `group "${group}" is being changed by many requests at once; retry`, {}, { cause: error });
        }
        await backoff(attempt);
        snapshot = undefined;
      }
    }
  }

  /**
   * Writes a reconciled plan: the meta item and the owners of the offset
   * items, in transactions of at most 100 items, each conditional on the
   * version the previous one wrote. Each transaction leaves a consistent
   * state (the meta item's owners are the offset items' owners), so a crash
   * between two only delays the rest until the next request reconciles.
   */
  private async writePlan(group: string, snapshot: Snapshot, result: ReconcileResult, now: number): Promise<MetaItem> {
    const existing = new Set(snapshot.members.map((member) => member.memberId));
    const departures = result.departed.filter((id) => existing.has(id)).slice(0, MAX_DEPARTURE_CHECKS);
    const changes = result.ownerChanges;
    const firstCapacity = MAX_TRANSACTION_ITEMS - 1 - departures.length;
    const chunks: OwnerChange[][] = [changes.slice(0, firstCapacity)];
    for (let i = firstCapacity; i < changes.length; i += MAX_TRANSACTION_ITEMS - 1) chunks.push(changes.slice(i, i + MAX_TRANSACTION_ITEMS - 1));

    let meta = snapshot.meta;
    const owners = new Map(snapshot.plan.owners);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      for (const change of chunk) {
        if (change.owner === undefined) owners.delete(change.key);
        else owners.set(change.key, change.owner);
      }
      // Partitions whose hand-over is in a later chunk keep their previous revocation meanwhile.
      const moving = new Map(result.plan.moving);
      for (const later of chunks.slice(c + 1).flat()) {
        const revocation = snapshot.plan.moving.get(later.key);
        if (revocation) moving.set(later.key, revocation);
      }
      const attributes = metaAttributes({ ...result.plan, owners, moving });
      const version = (meta?.version ?? 0) + 1;
      const next: MetaItem = { pk: group, sk: META_SORT_KEY, ...attributes, version, createdAt: meta?.createdAt ?? now, updatedAt: now };
      const metaWrite = {
        TableName: this.table,
        Item: next,
        ConditionExpression: meta ? '#version = :version' : 'attribute_not_exists(pk)',
        ...(meta ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': meta.version } } : {}),
      };
      const others: TransactItem[] = [
        ...(c === 0
          ? departures.map((memberId) => ({
              ConditionCheck: {
                TableName: this.table,
                Key: { pk: group, sk: memberSortKey(memberId) },
                // The member must still be gone: a heartbeat that landed after our read keeps it in.
                ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
                ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
                ExpressionAttributeValues: { ':now': now },
              },
            }))
          : []),
        ...chunk.map((change) => ({ Update: this.ownerUpdate(group, change) })),
      ];
      if (others.length === 0) await this.doc.send(new PutCommand(metaWrite));
      else await this.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: metaWrite }, ...others] }));
      meta = next;
    }
    return meta!;
  }

  private ownerUpdate(group: string, change: OwnerChange): NonNullable<TransactItem['Update']> {
    const key = { pk: group, sk: offsetSortKey(change.topic, change.partition) };
    if (change.owner === undefined) {
      return { TableName: this.table, Key: key, UpdateExpression: 'REMOVE #owner', ExpressionAttributeNames: { '#owner': 'owner' } };
    }
    return {
      TableName: this.table,
      Key: key,
      UpdateExpression: 'SET #owner = :owner, #topicId = :topicId, #topic = :topic, #partition = :partition',
      ExpressionAttributeNames: { '#owner': 'owner', '#topicId': 'topicId', '#topic': 'topic', '#partition': 'partition' },
      ExpressionAttributeValues: { ':owner': change.owner, ':topicId': change.topicId, ':topic': change.topic, ':partition': change.partition },
    };
  }

  /**
   * Static membership: `member` replaces `previous` (same instanceId, still
   * live) in the plan and as owner of its partitions, in one transaction that
   * deletes the old member's lease. Same generation: nothing else moves.
   */
  private async takeOver(group: string, snapshot: Snapshot, previous: MemberItem, member: MemberItem, now: number): Promise<void> {
    const plan = snapshot.plan;
    const rename = (id: string) => (id === previous.memberId ? member.memberId : id);
    const owned = [...plan.owners].filter(([, owner]) => owner === previous.memberId).map(([key]) => key).sort(comparePartitionKeys);
    const firstCapacity = MAX_TRANSACTION_ITEMS - 3;
    const chunks: PartitionKey[][] = [owned.slice(0, firstCapacity)];
    for (let i = firstCapacity; i < owned.length; i += MAX_TRANSACTION_ITEMS - 1) chunks.push(owned.slice(i, i + MAX_TRANSACTION_ITEMS - 1));
    const targets = new Map([...plan.targets].map(([key, id]) => [key, rename(id)]));
    const members = plan.members.map(rename).sort();
    const owners = new Map(plan.owners);
    let meta = snapshot.meta;
    for (let c = 0; c < chunks.length; c++) {
      for (const key of chunks[c]!) owners.set(key, member.memberId);
      const version = (meta?.version ?? 0) + 1;
      const next: MetaItem = {
        pk: group,
        sk: META_SORT_KEY,
        ...metaAttributes({ ...plan, members, targets, owners }),
        version,
        createdAt: meta?.createdAt ?? now,
        updatedAt: now,
      };
      const items: TransactItem[] = [
        {
          Put: {
            TableName: this.table,
            Item: next,
            ConditionExpression: meta ? '#version = :version' : 'attribute_not_exists(pk)',
            ...(meta ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': meta.version } } : {}),
          },
        },
      ];
      if (c === 0) {
        items.push(
          { Put: { TableName: this.table, Item: member, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Delete: {
              TableName: this.table,
              Key: { pk: group, sk: previous.sk },
              ConditionExpression: '#expiresAt > :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
              ExpressionAttributeValues: { ':now': now },
            },
          },
        );
      }
      for (const key of chunks[c]!) {
        const { topic, partition } = parsePartitionKey(key);
        items.push({
          Update: {
            TableName: this.table,
            Key: { pk: group, sk: offsetSortKey(topic, partition) },
            UpdateExpression: 'SET #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': member.memberId },
          },
        });
      }
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        // Once the first transaction is in, the new member holds the place: the sync that follows the join
        // finishes the hand-over (the old member is gone, so what it still owns goes to its targets, the new member).
        if (c > 0 && isRetriableConflict(error)) return;
        throw error;
      }
      meta = next;
    }
  }

  // -------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------

  /**
   * One strongly consistent query: `members` reads the member items and the
   * meta item (they sort next to each other), `offsets` the meta item and the
   * offset items, `all` everything.
   */
  private async read(group: string, scope: 'members' | 'offsets' | 'all'): Promise<Snapshot> {
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
    const snapshot: Snapshot = { meta: undefined, plan: planFromMeta(undefined), members: [], offsets: [] };
    try {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) {
          const sk = item.sk as string;
          if (sk === META_SORT_KEY) snapshot.meta = item as MetaItem;
          else if (sk.startsWith(MEMBER_PREFIX)) snapshot.members.push(item as MemberItem);
          else if (sk.startsWith(OFFSET_PREFIX)) snapshot.offsets.push(item as OffsetItem);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw translateError(error);
    }
    snapshot.plan = planFromMeta(snapshot.meta);
    return snapshot;
  }

  private async getItem<T>(group: string, sk: string): Promise<T | undefined> {
    try {
      const result = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: group, sk }, ConsistentRead: true }));
      return result.Item as T | undefined;
    } catch (error) {
      throw translateError(error);
    }
  }

  /** Creates the meta item of a group that has only offsets, so that the group is listed. */
  private async ensureMeta(group: string, snapshot: Snapshot, now: number): Promise<void> {
    if (snapshot.meta) return;
    const item: MetaItem = { pk: group, sk: META_SORT_KEY, ...metaAttributes(snapshot.plan), version: 1, createdAt: now, updatedAt: now };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateError(error);
    }
  }

  private async deleteItems(group: string, sortKeys: string[]): Promise<void> {
    try {
      for (let i = 0; i < sortKeys.length; i += 25) {
        let pending: { DeleteRequest: { Key: Record<string, unknown> } }[] | undefined = sortKeys
          .slice(i, i + 25)
          .map((sk) => ({ DeleteRequest: { Key: { pk: group, sk } } }));
        for (let round = 0; pending && pending.length > 0; round++) {
          if (round > 0) await backoff(round);
          if (round === 8) throw Object.assign(new Error('unprocessed items'), { name: 'ThrottlingException' });
          const result = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
          pending = result.UnprocessedItems?.[this.table] as typeof pending;
        }
      }
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * The first offset (in request order) above its partition's high watermark,
   * as an `INVALID_OFFSET` error: nobody can have processed records that do not
   * exist yet, and such a commit would make the group skip them once they do.
   * A high watermark only grows, so an offset checked here stays valid.
   * Topics or partitions that do not exist are left to the caller's checks.
   */
  private async aboveHighWatermark(
    offsets: CommitEntry[],
    known?: Map<string, Topic>,
  ): Promise<{ entry: CommitEntry; error: BrookError } | undefined> {
    const names = [...new Set(offsets.map((entry) => entry.topic))];
    const watermarks = new Map<string, number>();
    await Promise.all(
      names.map(async (name) => {
        const topic = known?.get(name) ?? (await this.topics.find(name));
        if (!topic) return;
        const partitions = offsets.filter((entry) => entry.topic === name && entry.partition < topic.partitions).map((entry) => entry.partition);
        const heads = await readHeadsOf(this.doc, this.logTable, topic.topicId, partitions);
        for (const head of heads) watermarks.set(partitionKey(name, head.partition), head.highWatermark);
      }),
    );
    for (const entry of offsets) {
      const highWatermark = watermarks.get(partitionKey(entry.topic, entry.partition));
      if (highWatermark !== undefined && entry.offset > highWatermark) {
        const error = new BrookError(
          'INVALID_OFFSET',
          `offset ${entry.offset} of ${entry.topic}/${entry.partition} is above its high watermark ${highWatermark}: ` +
            'commit the next offset to read, at most the high watermark',
          { highWatermark },
        );
        return { entry, error };
      }
    }
    return undefined;
  }

  /** Topics and partitions of a commit or reset: each must exist. */
  private async checkPartitions(entries: { topic: string; partition: number }[]): Promise<Map<string, Topic>> {
    const topics = new Map<string, Topic>();
    for (const name of [...new Set(entries.map((entry) => entry.topic))]) {
      const topic = await this.topics.find(name);
      if (!topic) throw new BrookError('TOPIC_NOT_FOUND', `topic "${name}" does not exist`);
      topics.set(name, topic);
    }
    for (const { topic, partition } of entries) {
      const count = topics.get(topic)!.partitions;
      if (partition >= count) throw new BrookError('PARTITION_NOT_FOUND', `topic "${topic}" has no partition ${partition} (it has ${count})`);
    }
    return topics;
  }

  /** Valid committed offsets (of the topic as it is now), sorted, with high watermarks and lag. */
  private async withLag(items: OffsetItem[]): Promise<CommittedOffset[]> {
    const committed = items.filter((item) => item.offset !== undefined);
    const names = [...new Set(committed.map((item) => item.topic))].sort();
    const topics = await this.freshTopics(names);
    const result: CommittedOffset[] = [];
    for (const name of names) {
      const snapshot = topics.get(name);
      if (!snapshot) continue;
      const heads = await readPartitionHeads(this.doc, this.logTable, snapshot.id, snapshot.partitions);
      for (const item of committed) {
        if (item.topic !== name || item.offsetTopicId !== snapshot.id || item.partition >= snapshot.partitions) continue;
        const highWatermark = heads[item.partition]!.highWatermark;
        result.push({
          topic: name,
          partition: item.partition,
          offset: item.offset!,
          metadata: item.metadata ?? null,
          highWatermark,
          lag: Math.max(0, highWatermark - item.offset!),
        });
      }
    }
    return result.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  private async freshTopics(names: string[]): Promise<Map<string, TopicSnapshot | undefined>> {
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
  private async cachedTopics(names: string[], plan: GroupPlan): Promise<Map<string, TopicSnapshot | undefined>> {
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

  private cachedPartitions(name: string): number {
    return this.topicCache.get(name)?.snapshot?.partitions ?? 0;
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function newMemberId(): string {
  return `m-${randomBytes(8).toString('hex')}`;
}

function liveMembers(snapshot: Snapshot, now: number): MemberItem[] {
  return snapshot.members.filter((member) => member.expiresAt > now);
}

function toLiveMember(member: MemberItem): LiveMember {
  return { id: member.memberId, topics: member.topics, ackGeneration: member.ackGeneration, sessionTimeoutMs: member.sessionTimeoutMs };
}

/**
 * Empty: no live member. Rebalancing: a partition is on the move, or the
 * stored plan is not yet up to date with the members or topics. Stable otherwise.
 */
function groupState(snapshot: Snapshot, live: MemberItem[], now: number, topics?: ReadonlyMap<string, TopicSnapshot | undefined>): GroupState {
  if (live.length === 0) return 'Empty';
  const plan = snapshot.plan;
  if (plan.moving.size > 0) return 'Rebalancing';
  if (topics) {
    return reconcile({ plan, members: live.map(toLiveMember), topics, now }).changed ? 'Rebalancing' : 'Stable';
  }
  const liveIds = new Set(live.map((member) => member.memberId));
  const planned = plan.members.length === liveIds.size && plan.members.every((id) => liveIds.has(id));
  const ownersLive = [...plan.owners.values()].every((id) => liveIds.has(id));
  return planned && ownersLive ? 'Stable' : 'Rebalancing';
}

/** The condition that a partition's owner is still the one seen (none, or a member that is gone). */
function ownerUnchanged(seenOwner: string | undefined): string {
  return seenOwner === undefined ? 'attribute_not_exists(#owner)' : 'attribute_not_exists(#owner) OR #owner = :owner';
}

function memberNotFound(group: string, memberId: string): BrookError {
  return new BrookError('MEMBER_NOT_FOUND', `member "${memberId}" is not a live member of group "${group}"; join again`);
}

function groupNotFound(group: string): BrookError {
  return new BrookError('GROUP_NOT_FOUND', `group "${group}" does not exist`);
}

function groupNotEmpty(group: string): BrookError {
  return new BrookError('GROUP_NOT_EMPTY', `group "${group}" has live members`);
}

/** The error of the first failed entry; with several entries, `results` says how each one went. */
function firstFailure(entries: { topic: string; partition: number }[], failures: (BrookError | undefined)[]): BrookError {
  const index = failures.findIndex((failure) => failure !== undefined);
  const first = failures[index]!;
  if (entries.length === 1) return first;
  const results = entries.map(({ topic, partition }, i) => ({
    topic,
    partition,
    ...(failures[i] ? { error: failures[i]!.toJSON().error } : {}),
  }));
  return new BrookError(first.code as ErrorCode, first.message, { ...first.details, results });
}

/**
 * Storage errors as the contract's: a transaction cancelled because DynamoDB
 * throttled one of its items is THROTTLED, like a throttled single write.
 */
function translateError(error: unknown): unknown {
  if ((error as { name?: string } | undefined)?.name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    if (reasons.some((r) => r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded' || r.Code === 'RequestLimitExceeded')) {
      return new BrookError('THROTTLED', 'storage is throttling requests; retry with backoff', {}, { cause: error });
    }
    if (isRetriableConflict(error)) return new BrookError('UNAVAILABLE', 'the group is being changed; retry', {}, { cause: error });
  }
  if ((error as { name?: string } | undefined)?.name === 'TransactionConflictException') {
    return new BrookError('UNAVAILABLE', 'the group is being changed; retry', {}, { cause: error });
  }
  return translateStorageError(error);
}

function failedItem<T>(error: unknown): T | undefined {
  const item = (error as { Item?: Record<string, NativeAttributeValue> }).Item;
  return item ? (unmarshall(item as Parameters<typeof unmarshall>[0]) as T) : undefined;
}

/** A lost race that a fresh read resolves: a failed condition, or a transaction that collided with another. */
function isRetriableConflict(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict') &&
    reasons.every((r) => r.Code === undefined || r.Code === 'None' || r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}

/** Single-item writes that collide with a transaction on the same item are refused; they are retried a few times. */
async function withConflictRetries<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'TransactionConflictException') throw error;
      if (attempt >= MAX_CONFLICT_RETRIES) throw new BrookError('UNAVAILABLE', 'the group is being changed; retry', {}, { cause: error });
      await backoff(attempt);
    }
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Someone else owns the partition: a new owner waiting for the old one to let go is asked to retry; anyone else is fenced. */
function notOwner(group: string, memberId: string, { topic, partition }: CommitEntry, plan: GroupPlan): BrookError {
  return plan.targets.get(partitionKey(topic, partition)) === memberId
    ? new BrookError('REBALANCE_IN_PROGRESS', `${topic}/${partition} is still being handed over to member "${memberId}"; retry after the next heartbeat`)
    : new BrookError('FENCED_MEMBER', `member "${memberId}" does not own ${topic}/${partition} in group "${group}"`);
}

/** A commit without a member that would move an offset backwards: only a reset may. */
function behindCommitted(entry: CommitEntry, committedOffset: number | undefined): BrookError {
  return new BrookError(
    'INVALID_OFFSET',
    `offset ${entry.offset} of ${entry.topic}/${entry.partition} is behind the committed offset ${committedOffset}; offsets only move back by a reset`,
    { committedOffset },
  );
}

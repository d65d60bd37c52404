/**
 * Committed offsets: commits by a partition's owner, commits with no member
 * while the group is empty, reading them with lag, and resets. Each is one
 * write of the partition's offset item, conditioned on its owner, and never
 * above the partition's high watermark. The DynamoDB calls of each:
 * docs/groups.md, "Each operation in DynamoDB calls".
 */
import { UpdateCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import type { GroupOffset, OffsetReset, ResetOffsetsRequest } from '../../protocol/types.js';
import type { PartitionLog } from '../log/PartitionLog.js';
import { failedItem, withConflictRetries } from '../storage/conflicts.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import { mapLimit } from '../storage/mapLimit.js';
import { readHeadsOf, readPartitionHeads } from '../storage/partitionHeads.js';
import { checkPartition, topicNotFound, type Topic } from '../topics/TopicRegistry.js';
import { partitionKey, type GroupPlan } from './assignment.js';
import { GROUP_BUSY, groupNotEmpty, groupNotFound, translateGroupError } from './groupErrors.js';
import { memberSortKey, META_SORT_KEY, offsetSortKey, planFromMeta, type MemberItem, type MetaItem, type OffsetItem } from './groupItems.js';
import { liveMembers, type GroupStore } from './GroupStore.js';

/** Kafka's `offset.metadata.max.bytes`. */
export const MAX_METADATA_LENGTH = 4_096;

export type CommittedOffset = GroupOffset;
export type ResetInput = ResetOffsetsRequest;
export type ResetEntry = OffsetReset;

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

/** How one offset item is written: the condition on it, and whether the item is stamped with its topic. */
interface OffsetWrite {
  /** Over `#owner`, `#offset`, `#offsetTopicId`, the update's own values (`:offset`, `:topicId`) and `values`. */
  condition: string;
  values: Record<string, NativeAttributeValue>;
  /**
   * The topic id the offset belongs to; the item gets its topic, partition and
   * this id (it may not exist yet). Without it the offset belongs to the topic
   * id the owner's assignment wrote on the item.
   */
  topicId?: string;
}

const WRITE_CONCURRENCY = 16;

/** What a member's commit reads before it writes: its member item and the first offset above a high watermark, if any. */
export interface CommitReads {
  memberId: string;
  member: MemberItem | undefined;
  beyondLog: { entry: CommitEntry; error: BrookError } | undefined;
}

export class GroupOffsets {
  private readonly store: GroupStore;
  private readonly log: Pick<PartitionLog, 'offsetForTimestamp'>;

  constructor(store: GroupStore, log: Pick<PartitionLog, 'offsetForTimestamp'>) {
    this.store = store;
    this.log = log;
  }

  /** A member's commit's reads (undefined for a commit without a member), all at once. */
  async readForCommit(group: string, input: CommitInput): Promise<CommitReads | undefined> {
    if (input.memberId === undefined) return undefined;
    const [member, beyondLog] = await Promise.all([
      this.store.getItem<MemberItem>(group, memberSortKey(input.memberId)),
      this.aboveHighWatermark(input.offsets),
    ]);
    return { memberId: input.memberId, member, beyondLog };
  }

  /** Commits `input`; `read` is what `readForCommit` just read for it (read here when absent). */
  async commit(group: string, input: CommitInput, read?: CommitReads): Promise<void> {
    if (input.memberId === undefined) return this.commitWithoutMember(group, input.offsets);
    const memberId = input.memberId;
    const { member, beyondLog } = read?.memberId === memberId ? read : (await this.readForCommit(group, input))!;
    const now = this.store.now();
    if (!member || member.expiresAt <= now) {
      throw new BrookError('FENCED_MEMBER', `member "${memberId}" is not a live member of group "${group}"; join again`);
    }
    if (beyondLog) throw (await this.fenceOf(group, memberId, beyondLog.entry)) ?? beyondLog.error;
    const failures = await mapLimit(input.offsets, WRITE_CONCURRENCY, async (entry) => {
      try {
        // Only the owner, which may also move its offset back (a replay after a seek, as in Kafka).
        await this.writeOffset(group, entry, now, { condition: '#owner = :member', values: { ':member': memberId } });
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateGroupError(error);
        return 'notOwner' as const;
      }
    });
    if (failures.every((failure) => failure === undefined)) return;
    let plan: GroupPlan | undefined;
    if (failures.includes('notOwner')) plan = planFromMeta(await this.store.getItem<MetaItem>(group, META_SORT_KEY));
    const errors = failures.map((failure, i) => (failure === 'notOwner' ? notOwner(group, memberId, input.offsets[i]!, plan!) : failure));
    throw firstFailure(input.offsets, errors);
  }

  /**
   * A member's commit as writes of a transaction (docs/design.md,
   * "Transactions"): checked as `commit` checks (a live member, no offset
   * above its high watermark), and fenced the same way (each update only if
   * the member owns the partition). `refusal` says why the write at `index`
   * failed its condition: the member no longer owns that partition.
   */
  async transactionalCommit(
    group: string,
    input: CommitInput & { memberId: string },
    read?: CommitReads,
  ): Promise<{ writes: { Update: ReturnType<GroupOffsets['offsetUpdate']> }[]; refusal(index: number): Promise<BrookError> }> {
    const { memberId } = input;
    const { member, beyondLog } = read?.memberId === memberId ? read : (await this.readForCommit(group, input))!;
    const now = this.store.now();
    if (!member || member.expiresAt <= now) {
      throw new BrookError('FENCED_MEMBER', `member "${memberId}" is not a live member of group "${group}"; join again`);
    }
    if (beyondLog) throw (await this.fenceOf(group, memberId, beyondLog.entry)) ?? beyondLog.error;
    const writes = input.offsets.map((entry) => ({
      Update: this.offsetUpdate(group, entry, now, { condition: '#owner = :member', values: { ':member': memberId } }),
    }));
    return {
      writes,
      refusal: async (index) => notOwner(group, memberId, input.offsets[index]!, planFromMeta(await this.store.getItem<MetaItem>(group, META_SORT_KEY))),
    };
  }

  /** Why `memberId` may not commit `entry`'s partition, or undefined if it owns it (read afresh). */
  private async fenceOf(group: string, memberId: string, entry: CommitEntry): Promise<BrookError | undefined> {
    const item = await this.store.getItem<OffsetItem>(group, offsetSortKey(entry.topic, entry.partition));
    if (item?.owner === memberId) return undefined;
    return notOwner(group, memberId, entry, planFromMeta(await this.store.getItem<MetaItem>(group, META_SORT_KEY)));
  }

  /** A commit with no member: only while the group has no live members. Never backwards. */
  private async commitWithoutMember(group: string, offsets: CommitEntry[]): Promise<void> {
    const topics = await this.checkPartitions(offsets.map(({ topic, partition }) => ({ topic, partition })));
    const beyondLog = await this.aboveHighWatermark(offsets, topics);
    if (beyondLog) throw beyondLog.error;
    const snapshot = await this.store.read(group, 'members');
    const now = this.store.now();
    if (liveMembers(snapshot, now).length > 0) throw groupNotEmpty(group);
    await this.store.ensureMeta(group, snapshot, now);
    const failures = await mapLimit(offsets, WRITE_CONCURRENCY, async (entry) => {
      const seenOwner = snapshot.plan.owners.get(partitionKey(entry.topic, entry.partition));
      try {
        const owner = ownerUnchanged(seenOwner);
        await this.writeOffset(group, entry, now, {
          condition: `(${owner.condition}) AND (attribute_not_exists(#offset) OR #offset <= :offset OR #offsetTopicId <> :topicId)`,
          values: owner.values,
          topicId: topics.get(entry.topic)!.topicId,
        });
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateGroupError(error);
        const old = failedItem<OffsetItem>(error);
        if (old?.owner !== seenOwner) return groupNotEmpty(group);
        return behindCommitted(entry, old?.offset);
      }
    });
    if (failures.some((failure) => failure !== undefined)) throw firstFailure(offsets, failures);
  }

  /** Committed offsets of the group, with high watermarks and lag. */
  async offsets(group: string): Promise<CommittedOffset[]> {
    const snapshot = await this.store.read(group, 'offsets');
    if (!snapshot.meta && snapshot.offsets.length === 0) throw groupNotFound(group);
    return this.withLag(snapshot.offsets);
  }

  async resetOffsets(group: string, input: ResetInput): Promise<ResetEntry[]> {
    const topic = await this.store.topics.find(input.topic);
    if (!topic) throw topicNotFound(input.topic);
    const partitions = [...new Set(input.partitions ?? Array.from({ length: topic.partitions }, (_, p) => p))].sort((a, b) => a - b);
    for (const partition of partitions) checkPartition(topic, partition);
    const snapshot = await this.store.read(group, 'all');
    const now = this.store.now();
    if (liveMembers(snapshot, now).length > 0) throw groupNotEmpty(group);
    const heads = await readPartitionHeads(this.store.doc, this.store.logTable, topic.topicId, topic.partitions);
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
    await this.store.ensureMeta(group, snapshot, now);
    const failures = await mapLimit(entries, WRITE_CONCURRENCY, async (entry) => {
      const seenOwner = snapshot.plan.owners.get(partitionKey(entry.topic, entry.partition));
      try {
        const offset = { topic: entry.topic, partition: entry.partition, offset: entry.after };
        await this.writeOffset(group, offset, now, { ...ownerUnchanged(seenOwner), topicId: topic.topicId });
        return undefined;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return groupNotEmpty(group);
        throw translateGroupError(error);
      }
    });
    const failed = failures.find((failure) => failure !== undefined);
    if (failed) throw failed;
    return entries;
  }

  /**
   * Writes a committed offset (and its metadata, or none) on the partition's
   * offset item, if `write.condition` holds. A write that collides with a
   * rebalance transaction is tried again a few times.
   */
  private async writeOffset(group: string, entry: CommitEntry, now: number, write: OffsetWrite): Promise<void> {
    await withConflictRetries(() => this.store.doc.send(new UpdateCommand(this.offsetUpdate(group, entry, now, write))), GROUP_BUSY);
  }

  /** The update of `writeOffset`, for a single write or a transaction. */
  private offsetUpdate(group: string, entry: CommitEntry, now: number, write: OffsetWrite) {
    const names: Record<string, string> = {
      '#owner': 'owner',
      '#offset': 'offset',
      '#offsetTopicId': 'offsetTopicId',
      '#topicId': 'topicId',
      '#committedAt': 'committedAt',
      '#metadata': 'metadata',
    };
    const values: Record<string, NativeAttributeValue> = { ...write.values, ':offset': entry.offset, ':now': now };
    let update: string;
    if (write.topicId === undefined) {
      update = 'SET #offset = :offset, #offsetTopicId = #topicId, #committedAt = :now';
    } else {
      update = 'SET #topic = :topic, #partition = :partition, #offset = :offset, #topicId = :topicId, #offsetTopicId = :topicId, #committedAt = :now';
      Object.assign(names, { '#topic': 'topic', '#partition': 'partition' });
      Object.assign(values, { ':topic': entry.topic, ':partition': entry.partition, ':topicId': write.topicId });
    }
    if (entry.metadata !== undefined) {
      update += ', #metadata = :metadata';
      values[':metadata'] = entry.metadata;
    } else {
      update += ' REMOVE #metadata';
    }
    return {
      TableName: this.store.table,
      Key: { pk: group, sk: offsetSortKey(entry.topic, entry.partition) },
      UpdateExpression: update,
      ConditionExpression: write.condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
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
    const partitionsOf = (name: string) => offsets.filter((entry) => entry.topic === name).map((entry) => entry.partition);
    if (!known && this.store.snapshots) {
      // One round trip for the topics and their HEADs.
      const snapshot = await this.store.snapshots.read(names.map((name) => ({ name, partitions: () => partitionsOf(name) })), { offsetsOnly: true });
      for (const [name, found] of snapshot.topics) {
        for (const [partition, head] of found?.heads ?? []) watermarks.set(partitionKey(name, partition), head.next);
      }
    } else {
      await Promise.all(
        names.map(async (name) => {
          const topic = known?.get(name) ?? (await this.store.topics.find(name));
          if (!topic) return;
          const heads = await readHeadsOf(this.store.doc, this.store.logTable, topic.topicId, partitionsOf(name).filter((p) => p < topic.partitions));
          for (const head of heads) watermarks.set(partitionKey(name, head.partition), head.highWatermark);
        }),
      );
    }
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
      const topic = await this.store.topics.find(name);
      if (!topic) throw topicNotFound(name);
      topics.set(name, topic);
    }
    for (const { topic, partition } of entries) checkPartition(topics.get(topic)!, partition);
    return topics;
  }

  /** Valid committed offsets (of the topic as it is now), sorted, with high watermarks and lag. */
  async withLag(items: OffsetItem[]): Promise<CommittedOffset[]> {
    const committed = items.filter((item) => item.offset !== undefined);
    const names = [...new Set(committed.map((item) => item.topic))].sort();
    const topics = await this.store.freshTopics(names);
    const result: CommittedOffset[] = [];
    for (const name of names) {
      const snapshot = topics.get(name);
      if (!snapshot) continue;
      const heads = await readPartitionHeads(this.store.doc, this.store.logTable, snapshot.id, snapshot.partitions);
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
}

/** The condition that a partition's owner is still the one seen (none, or a member that is gone). */
function ownerUnchanged(seenOwner: string | undefined): Pick<OffsetWrite, 'condition' | 'values'> {
  return seenOwner === undefined
    ? { condition: 'attribute_not_exists(#owner)', values: {} }
    : { condition: 'attribute_not_exists(#owner) OR #owner = :owner', values: { ':owner': seenOwner } };
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

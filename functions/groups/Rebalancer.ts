/**
 * Rebalancing: bringing a group's stored plan up to date with its live
 * members and topics, and writing it with the partitions' owners in
 * version-conditional transactions (docs/groups.md, "Sync"); and a static
 * member's takeover of its predecessor's place. The plan itself is worked
 * out by `reconcile` (assignment.ts), which touches no storage.
 */
import { PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { conflictBackoff, isRetriableConflict } from '../storage/conflicts.js';
import {
  comparePartitionKeys,
  parsePartitionKey,
  reconcile,
  type OwnerChange,
  type PartitionKey,
  type ReconcileResult,
} from './assignment.js';
import { translateGroupError } from './groupErrors.js';
import { META_SORT_KEY, memberSortKey, metaAttributes, offsetSortKey, type MemberItem, type MetaItem } from './groupItems.js';
import { liveMembers, MAX_SYNC_ATTEMPTS, toLiveMember, type GroupSnapshot, type GroupStore } from './GroupStore.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit of items in one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** Stale members whose lease is re-checked inside a rebalance transaction (the rest rely on the clock alone). */
const MAX_DEPARTURE_CHECKS = 40;

export class Rebalancer {
  private readonly store: GroupStore;

  constructor(store: GroupStore) {
    this.store = store;
  }

  /**
   * Brings the stored plan up to date with the live members and the topics:
   * reads the group (unless given a fresh snapshot), reconciles, and writes
   * the result if anything changed, conditional on the meta item's version.
   * On a conflict it starts again from a fresh read.
   */
  async sync(group: string, initial?: GroupSnapshot): Promise<GroupSnapshot> {
    let snapshot = initial;
    for (let attempt = 1; ; attempt++) {
      snapshot ??= await this.store.read(group, 'members');
      const now = this.store.now();
      const live = liveMembers(snapshot, now);
      const topics = await this.store.cachedTopics([...new Set(live.flatMap((member) => member.topics))], snapshot.plan);
      const result = reconcile({ plan: snapshot.plan, members: live.map(toLiveMember), topics, now });
      if (!result.changed) return snapshot;
      try {
        const meta = await this.writePlan(group, snapshot, result, now);
        return { ...snapshot, meta, plan: result.plan };
      } catch (error) {
        if (!isRetriableConflict(error)) throw translateGroupError(error);
        if (attempt >= MAX_SYNC_ATTEMPTS) {
          throw new BrookError('UNAVAILABLE', `group "${group}" is being changed by many requests at once; retry`, {}, { cause: error });
        }
        await conflictBackoff(attempt);
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
  private async writePlan(group: string, snapshot: GroupSnapshot, result: ReconcileResult, now: number): Promise<MetaItem> {
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
        TableName: this.store.table,
        Item: next,
        ConditionExpression: meta ? '#version = :version' : 'attribute_not_exists(pk)',
        ...(meta ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': meta.version } } : {}),
      };
      const others: TransactItem[] = [
        ...(c === 0
          ? departures.map((memberId) => ({
              ConditionCheck: {
                TableName: this.store.table,
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
      if (others.length === 0) await this.store.doc.send(new PutCommand(metaWrite));
      else await this.store.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: metaWrite }, ...others] }));
      meta = next;
    }
    return meta!;
  }

  private ownerUpdate(group: string, change: OwnerChange): NonNullable<TransactItem['Update']> {
    const key = { pk: group, sk: offsetSortKey(change.topic, change.partition) };
    if (change.owner === undefined) {
      return { TableName: this.store.table, Key: key, UpdateExpression: 'REMOVE #owner', ExpressionAttributeNames: { '#owner': 'owner' } };
    }
    return {
      TableName: this.store.table,
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
  async takeOver(group: string, snapshot: GroupSnapshot, previous: MemberItem, member: MemberItem, now: number): Promise<void> {
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
            TableName: this.store.table,
            Item: next,
            ConditionExpression: meta ? '#version = :version' : 'attribute_not_exists(pk)',
            ...(meta ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': meta.version } } : {}),
          },
        },
      ];
      if (c === 0) {
        items.push(
          { Put: { TableName: this.store.table, Item: member, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Delete: {
              TableName: this.store.table,
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
            TableName: this.store.table,
            Key: { pk: group, sk: offsetSortKey(topic, partition) },
            UpdateExpression: 'SET #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': member.memberId },
          },
        });
      }
      try {
        await this.store.doc.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        // Once the first transaction is in, the new member holds the place: the sync that follows the join
        // finishes the hand-over (the old member is gone, so what it still owns goes to its targets, the new member).
        if (c > 0 && isRetriableConflict(error)) return;
        throw error;
      }
      meta = next;
    }
  }
}

/**
 * Membership: joining a group (a static member takes its predecessor's
 * place), heartbeats that renew a member's lease and acknowledge its
 * generation, and leaving. Each ends by bringing the group's plan up to date
 * (Rebalancer). The DynamoDB calls of each: docs/groups.md, "Each operation
 * in DynamoDB calls".
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import type { TopicPartitions } from '../../protocol/types.js';
import { conflictBackoff, failedItem, isRetriableConflict, withConflictRetries } from '../storage/conflicts.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import { topicNotFound } from '../topics/TopicRegistry.js';
import { consumable, memberIsRebalancing, toAssignment } from './assignment.js';
import { GROUP_BUSY, memberNotFound, translateGroupError } from './groupErrors.js';
import { memberSortKey, ttlFor, type MemberItem } from './groupItems.js';
import { liveMembers, MAX_SYNC_ATTEMPTS, type GroupSnapshot, type GroupStore } from './GroupStore.js';
import type { Rebalancer } from './Rebalancer.js';

/** `sessionTimeoutMs` 6000..300000, default 30000 (docs/http.md, Consumer groups). */
export const SESSION_TIMEOUT = { min: 6_000, max: 300_000, default: 30_000 } as const;
/** Live members a group may have: the meta item (at most 400 KB) lists them all. */
export const MAX_GROUP_MEMBERS = 1_000;
/** Partitions the topics of a group's members may add up to. */
export const MAX_GROUP_PARTITIONS = 10_000;

/** A member heartbeats three times per session timeout, as Kafka's clients do by default. */
export function heartbeatIntervalFor(sessionTimeoutMs: number): number {
  return Math.floor(sessionTimeoutMs / 3);
}

/** A member's partitions of one topic (the `assignment` entries of docs/http.md). */
export type Assignment = TopicPartitions;

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

export class GroupMembership {
  private readonly store: GroupStore;
  private readonly rebalancer: Rebalancer;

  constructor(store: GroupStore, rebalancer: Rebalancer) {
    this.store = store;
    this.rebalancer = rebalancer;
  }

  async join(group: string, input: JoinInput): Promise<JoinResult> {
    const sessionTimeoutMs = input.sessionTimeoutMs ?? SESSION_TIMEOUT.default;
    const topicNames = [...new Set(input.topics)].sort();
    const found = await this.store.freshTopics(topicNames);
    for (const name of topicNames) {
      if (!found.get(name)) throw topicNotFound(name);
    }
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.store.read(group, 'members');
      const now = this.store.now();
      const live = liveMembers(snapshot, now);
      const previous = input.instanceId === undefined ? undefined : live.find((member) => member.instanceId === input.instanceId);
      if (!previous && live.length >= MAX_GROUP_MEMBERS) {
        throw new BrookError('INVALID_REQUEST', `group "${group}" has the most members a group may have (${MAX_GROUP_MEMBERS})`);
      }
      const subscribed = new Set([...live.filter((m) => m !== previous).flatMap((m) => m.topics), ...topicNames]);
      const partitions = [...subscribed].reduce((sum, name) => sum + (found.get(name)?.partitions ?? this.store.cachedPartitions(name)), 0);
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
          await this.rebalancer.takeOver(group, snapshot, previous, member, now);
        } else {
          await this.putMember(member);
        }
      } catch (error) {
        // A lost race, or (no takeover) another's item under our new id: plan again from a fresh read, with a new id.
        if (isRetriableConflict(error) && attempt < MAX_SYNC_ATTEMPTS) {
          await conflictBackoff(attempt);
          continue;
        }
        // The put may have landed with its answer lost: its client will never know the member, so it goes.
        if (!previous && !isConditionalCheckFailed(error)) await this.forget(member);
        throw translateGroupError(error);
      }
      let synced: GroupSnapshot;
      try {
        synced = await this.rebalancer.sync(group);
      } catch (error) {
        // Leave no member behind that its client does not know about (it would hold partitions until it expires).
        if (!previous) await this.forget(member);
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

  /**
   * Writes a new member's item, conditional on its key being free. When
   * storage performs the put but its answer is lost, the SDK sends it again
   * and that retry fails its own condition: the item the failure returns
   * (`ALL_OLD`) is then ours (same `memberId`, which is random per join, and
   * same `joinedAt`), the put has landed and the join goes on. Anything else
   * is thrown as it is (a failed condition on another's item: a lost race).
   */
  private async putMember(member: MemberItem): Promise<void> {
    try {
      await this.store.doc.send(
        new PutCommand({
          TableName: this.store.table,
          Item: member,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const found = failedItem<MemberItem>(error);
      if (found?.memberId === member.memberId && found.joinedAt === member.joinedAt) return;
      throw error;
    }
  }

  /** Deletes, best effort, a member item its client never learnt of (no one else knows its id: no condition). */
  private async forget(member: MemberItem): Promise<void> {
    await this.store.doc.send(new DeleteCommand({ TableName: this.store.table, Key: { pk: member.pk, sk: member.sk } })).catch(() => undefined);
  }

  readForHeartbeat(group: string): Promise<GroupSnapshot> {
    return this.store.read(group, 'members');
  }

  /** Renews the member's lease; `read` is the group as `readForHeartbeat` just read it (read here when absent). */
  async heartbeat(group: string, memberId: string, generation: number, read?: GroupSnapshot): Promise<HeartbeatResult> {
    const snapshot = read ?? (await this.store.read(group, 'members'));
    const now = this.store.now();
    const known = snapshot.members.find((member) => member.memberId === memberId);
    if (!known || known.expiresAt <= now) throw memberNotFound(group, memberId);
    // A generation the group has not reached acknowledges nothing beyond the current one.
    const ackGeneration = Math.min(generation, snapshot.plan.generation);
    const expiresAt = now + known.sessionTimeoutMs;
    let updated: MemberItem;
    try {
      const result = await withConflictRetries(
        () =>
          this.store.doc.send(
            new UpdateCommand({
              TableName: this.store.table,
              Key: { pk: group, sk: memberSortKey(memberId) },
              UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl, #ack = :ack',
              ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#ttl': 'ttl', '#ack': 'ackGeneration' },
              ExpressionAttributeValues: { ':expiresAt': expiresAt, ':ttl': ttlFor(expiresAt), ':ack': ackGeneration, ':now': now },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        GROUP_BUSY,
      );
      updated = result.Attributes as MemberItem;
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw memberNotFound(group, memberId);
      throw translateGroupError(error);
    }
    const members = snapshot.members.map((member) => (member.memberId === memberId ? updated : member));
    const synced = await this.rebalancer.sync(group, { ...snapshot, members });
    return {
      generation: synced.plan.generation,
      assignment: toAssignment(consumable(synced.plan, memberId)),
      rebalancing: memberIsRebalancing(synced.plan, memberId),
    };
  }

  async leave(group: string, memberId: string): Promise<void> {
    try {
      await withConflictRetries(
        () =>
          this.store.doc.send(
            new DeleteCommand({
              TableName: this.store.table,
              Key: { pk: group, sk: memberSortKey(memberId) },
              ConditionExpression: 'attribute_exists(pk) AND #expiresAt > :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
              ExpressionAttributeValues: { ':now': this.store.now() },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        GROUP_BUSY,
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateGroupError(error);
      // Still there, its lease run out: not a live member.
      if (failedItem<MemberItem>(error)) throw memberNotFound(group, memberId);
      // Gone. A delete whose answer was lost (the SDK's retry then fails its condition) or a leave answered 503
      // after its delete landed leaves the member in the plan until a sync drops it: that member has left, and
      // this leave finishes the job. A member the plan does not list is unknown, or left and was synced away:
      // we cannot tell, so 404 as the contract says for an unknown member.
      const snapshot = await this.store.read(group, 'members');
      if (!snapshot.plan.members.includes(memberId)) throw memberNotFound(group, memberId);
      await this.rebalancer.sync(group, snapshot);
      return;
    }
    // Its partitions move at once: released, and given to their new targets in the same write.
    await this.rebalancer.sync(group);
  }
}

function newMemberId(): string {
  return `m-${randomBytes(8).toString('hex')}`;
}

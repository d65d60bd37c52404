/**
 * Group administration: describing a group (members, assignments, state,
 * committed offsets with lag), listing every group, and deleting an empty one
 * with its offsets. The DynamoDB calls of each: docs/groups.md, "Each
 * operation in DynamoDB calls".
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { GroupDescription, GroupState, GroupSummary } from '../../protocol/types.js';
import { scanAll } from '../storage/bulk.js';
import { conflictBackoff, isRetriableConflict } from '../storage/conflicts.js';
import { consumable, reconcile, toAssignment, type TopicSnapshot } from './assignment.js';
import { groupNotEmpty, groupNotFound, translateGroupError } from './groupErrors.js';
import { MEMBER_PREFIX, META_SORT_KEY, planFromMeta, type MemberItem, type MetaItem } from './groupItems.js';
import type { GroupOffsets } from './GroupOffsets.js';
import { liveMembers, MAX_SYNC_ATTEMPTS, toLiveMember, type GroupSnapshot, type GroupStore } from './GroupStore.js';

export class GroupAdmin {
  private readonly store: GroupStore;
  private readonly offsets: Pick<GroupOffsets, 'withLag'>;

  constructor(store: GroupStore, offsets: Pick<GroupOffsets, 'withLag'>) {
    this.store = store;
    this.offsets = offsets;
  }

  async describe(group: string): Promise<GroupDescription> {
    const snapshot = await this.store.read(group, 'all');
    if (!snapshot.meta && snapshot.members.length === 0 && snapshot.offsets.length === 0) throw groupNotFound(group);
    const now = this.store.now();
    const live = liveMembers(snapshot, now);
    const topics = await this.store.freshTopics([...new Set(live.flatMap((member) => member.topics))]);
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
      offsets: await this.offsets.withLag(snapshot.offsets),
    };
  }

  /** Every group, sorted by name. One scan of the groups table (members and meta items only are returned). */
  async list(): Promise<GroupSummary[]> {
    const byGroup = new Map<string, { meta?: MetaItem; members: MemberItem[] }>();
    const items = await scanAll<MetaItem | MemberItem>(this.store.doc, {
      TableName: this.store.table,
      FilterExpression: 'sk = :meta OR begins_with(sk, :member)',
      ExpressionAttributeValues: { ':meta': META_SORT_KEY, ':member': MEMBER_PREFIX },
    });
    for (const item of items) {
      let entry = byGroup.get(item.pk);
      if (!entry) byGroup.set(item.pk, (entry = { members: [] }));
      if (item.sk === META_SORT_KEY) entry.meta = item as MetaItem;
      else entry.members.push(item as MemberItem);
    }
    const now = this.store.now();
    return [...byGroup]
      .filter(([, entry]) => entry.meta !== undefined)
      .map(([group, entry]) => {
        const snapshot: GroupSnapshot = { meta: entry.meta, plan: planFromMeta(entry.meta), members: entry.members, offsets: [] };
        const live = liveMembers(snapshot, now);
        return { group, state: groupState(snapshot, live, now), members: live.length };
      })
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  /** Deletes the group and its offsets; only while it has no live members. */
  async delete(group: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.store.read(group, 'all');
      if (!snapshot.meta && snapshot.members.length === 0 && snapshot.offsets.length === 0) throw groupNotFound(group);
      if (liveMembers(snapshot, this.store.now()).length > 0) throw groupNotEmpty(group);
      try {
        if (snapshot.meta) {
          // Conditional on the version: a join that planned meanwhile makes this fail, and the next look sees its member.
          await this.store.doc.send(
            new DeleteCommand({
              TableName: this.store.table,
              Key: { pk: group, sk: META_SORT_KEY },
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': snapshot.meta.version },
            }),
          );
        }
      } catch (error) {
        if (isRetriableConflict(error) && attempt < MAX_SYNC_ATTEMPTS) {
          await conflictBackoff(attempt);
          continue;
        }
        throw translateGroupError(error);
      }
      await this.store.deleteItems(group, [...snapshot.members.map((m) => m.sk), ...snapshot.offsets.map((o) => o.sk)]);
      return;
    }
  }
}

/**
 * Empty: no live member. Rebalancing: a partition is on the move, or the
 * stored plan is not yet up to date with the members or topics. Stable otherwise.
 */
function groupState(snapshot: GroupSnapshot, live: MemberItem[], now: number, topics?: ReadonlyMap<string, TopicSnapshot | undefined>): GroupState {
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

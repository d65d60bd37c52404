/**
 * The group coordinator (docs/groups.md): members are leases, the plan and
 * ownership live in the group's meta item, and each partition's owner sits on
 * its offset item, next to the committed offset, so a commit is one write
 * conditioned on its own item. Every change of ownership is a transaction
 * that also moves the meta item's version on, so any two requests that plan
 * from the same state cannot both succeed.
 *
 * This class is the one door the routes use; the work is done in rooms of
 * their own: GroupMembership (join, heartbeat, leave), GroupOffsets (commit,
 * offsets, reset), GroupAdmin (describe, list, delete), Rebalancer (sync and
 * plan writes) and GroupStore (reads, topic cache), which they all share.
 */
import type { GroupDescription, GroupMember, GroupState, GroupSummary, ResetTarget } from '../../protocol/types.js';
import { GroupAdmin } from './GroupAdmin.js';
import { GroupMembership, type HeartbeatResult, type JoinInput, type JoinResult } from './GroupMembership.js';
import { GroupOffsets, type CommitInput, type CommitReads, type CommittedOffset, type ResetEntry, type ResetInput } from './GroupOffsets.js';
import { GroupStore, type GroupCoordinatorOptions, type GroupSnapshot } from './GroupStore.js';
import { Rebalancer } from './Rebalancer.js';

export {
  heartbeatIntervalFor,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_PARTITIONS,
  SESSION_TIMEOUT,
  type Assignment,
  type HeartbeatResult,
  type JoinInput,
  type JoinResult,
} from './GroupMembership.js';
export { MAX_METADATA_LENGTH, type CommitEntry, type CommitInput, type CommitReads, type CommittedOffset, type ResetEntry, type ResetInput } from './GroupOffsets.js';
export type { GroupCoordinatorOptions } from './GroupStore.js';
export type MemberDescription = GroupMember;
export type { GroupDescription, GroupState, GroupSummary, ResetTarget };

export class GroupCoordinator {
  private readonly membership: GroupMembership;
  private readonly committed: GroupOffsets;
  private readonly admin: GroupAdmin;

  constructor(options: GroupCoordinatorOptions) {
    const store = new GroupStore(options);
    this.membership = new GroupMembership(store, new Rebalancer(store));
    this.committed = new GroupOffsets(store, options.log);
    this.admin = new GroupAdmin(store, this.committed);
  }

  join(group: string, input: JoinInput): Promise<JoinResult> {
    return this.membership.join(group, input);
  }

  /** What a heartbeat reads before it writes (the group's members), to start while the caller's key is looked up. */
  readForHeartbeat(group: string): Promise<GroupSnapshot> {
    return this.membership.readForHeartbeat(group);
  }

  heartbeat(group: string, memberId: string, generation: number, read?: GroupSnapshot): Promise<HeartbeatResult> {
    return this.membership.heartbeat(group, memberId, generation, read);
  }

  leave(group: string, memberId: string): Promise<void> {
    return this.membership.leave(group, memberId);
  }

  /** With a member: only the partitions it owns. Without: only while the group has no live members, never backwards. */
  commit(group: string, input: CommitInput, read?: CommitReads): Promise<void> {
    return this.committed.commit(group, input, read);
  }

  /** A member's commit as fenced writes of a transaction, checked as `commit` checks (docs/design.md, "Transactions"). */
  transactionalCommit(group: string, input: CommitInput & { memberId: string }, read?: CommitReads): ReturnType<GroupOffsets['transactionalCommit']> {
    return this.committed.transactionalCommit(group, input, read);
  }

  /** What a member's commit reads before it writes (its member item, the high watermarks), to start while the key is looked up. */
  readForCommit(group: string, input: CommitInput): Promise<CommitReads | undefined> {
    return this.committed.readForCommit(group, input);
  }

  /** Committed offsets of the group, with high watermarks and lag. */
  offsets(group: string): Promise<CommittedOffset[]> {
    return this.committed.offsets(group);
  }

  resetOffsets(group: string, input: ResetInput): Promise<ResetEntry[]> {
    return this.committed.resetOffsets(group, input);
  }

  describe(group: string): Promise<GroupDescription> {
    return this.admin.describe(group);
  }

  /** Every group, sorted by name. */
  list(): Promise<GroupSummary[]> {
    return this.admin.list();
  }

  /** Deletes the group and its offsets; only while it has no live members. */
  delete(group: string): Promise<void> {
    return this.admin.delete(group);
  }
}

/**
 * Assignment and cooperative rebalancing, as pure functions (no storage, no
 * clock): the group coordinator reads the group, calls `reconcile`, and
 * writes what it returns. See docs/groups.md.
 *
 * Vocabulary:
 * - the **target** of a partition is the member the current plan gives it to;
 * - its **owner** is the member that may consume and commit it now;
 * - a partition whose owner is not its target is **moving**: its owner keeps
 *   it until it acknowledges the generation that took it away (a heartbeat
 *   with that generation), leaves, or expires, or until its session timeout
 *   has passed since the move began.
 */

/** `topic#partition`: `#` never occurs in a topic name. */
export type PartitionKey = string;

export function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}#${partition}`;
}

export function parsePartitionKey(key: PartitionKey): { topic: string; partition: number } {
  const at = key.lastIndexOf('#');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

function topicOf(key: PartitionKey): string {
  return key.slice(0, key.lastIndexOf('#'));
}

/** Orders keys by topic, then by partition number (not as strings). */
export function comparePartitionKeys(a: PartitionKey, b: PartitionKey): number {
  const pa = parsePartitionKey(a);
  const pb = parsePartitionKey(b);
  if (pa.topic !== pb.topic) return pa.topic < pb.topic ? -1 : 1;
  return pa.partition - pb.partition;
}

// ---------------------------------------------------------------------------
// Compact encoding of partition sets: "orders:0-3,7;payments:1"
// ---------------------------------------------------------------------------

/** Encodes a set of partitions compactly (topics sorted, partition ranges). Neither `:`, `;` nor `,` occurs in a topic name. */
export function encodePartitionSet(keys: Iterable<PartitionKey>): string {
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const { topic, partition } = parsePartitionKey(key);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic.keys()]
    .sort()
    .map((topic) => {
      const partitions = [...new Set(byTopic.get(topic)!)].sort((a, b) => a - b);
      const ranges: string[] = [];
      for (let i = 0; i < partitions.length; ) {
        let j = i;
        while (j + 1 < partitions.length && partitions[j + 1] === partitions[j]! + 1) j++;
        ranges.push(j === i ? `${partitions[i]}` : `${partitions[i]}-${partitions[j]}`);
        i = j + 1;
      }
      return `${topic}:${ranges.join(',')}`;
    })
    .join(';');
}

export function decodePartitionSet(encoded: string): PartitionKey[] {
  if (!encoded) return [];
  const keys: PartitionKey[] = [];
  for (const part of encoded.split(';')) {
    const colon = part.lastIndexOf(':');
    const topic = part.slice(0, colon);
    for (const range of part.slice(colon + 1).split(',')) {
      const [first, last] = range.split('-').map(Number) as [number, number | undefined];
      for (let p = first; p <= (last ?? first); p++) keys.push(partitionKey(topic, p));
    }
  }
  return keys;
}

// ---------------------------------------------------------------------------
// Balanced, sticky assignment
// ---------------------------------------------------------------------------

export interface SubscribedMember {
  readonly id: string;
  readonly topics: readonly string[];
}

export interface AssignmentInput {
  /** The live members and what they subscribe to. */
  readonly members: readonly SubscribedMember[];
  /** Every partition to assign (each of a topic some member subscribes to). */
  readonly partitions: readonly PartitionKey[];
  /** The previous plan's targets: kept where still valid (stickiness). */
  readonly previous: ReadonlyMap<PartitionKey, string>;
  /** Who owns each partition now: preferred for partitions without a valid previous target. */
  readonly owners: ReadonlyMap<PartitionKey, string>;
}

/**
 * A balanced, sticky assignment: every partition goes to a member subscribed
 * to its topic (if there is one); no member has two partitions more than
 * another member that could take one of them (so with identical
 * subscriptions, max - min <= 1); and as few partitions as possible change
 * member compared with `previous`.
 *
 * 1. Keep each partition's previous target, or else its owner, if that member
 *    is still here and subscribed.
 * 2. Give each remaining partition, most constrained first, to the eligible
 *    member with the fewest partitions.
 * 3. While a member has at least two more partitions than another member that
 *    could take one of them, move one (preferring a partition the receiver
 *    owns, then an unowned one, then one the giver does not own yet).
 * Deterministic: ties go to the smaller member id or partition key.
 */
export function planAssignment(input: AssignmentInput): Map<PartitionKey, string> {
  const members = [...input.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const subscriptions = new Map(members.map((member) => [member.id, new Set(member.topics)]));
  const eligible = (memberId: string | undefined, key: PartitionKey): memberId is string =>
    memberId !== undefined && (subscriptions.get(memberId)?.has(topicOf(key)) ?? false);
  const held = new Map<string, Set<PartitionKey>>(members.map((member) => [member.id, new Set()]));
  const target = new Map<PartitionKey, string>();
  const give = (key: PartitionKey, memberId: string) => {
    const before = target.get(key);
    if (before !== undefined) held.get(before)!.delete(key);
    target.set(key, memberId);
    held.get(memberId)!.add(key);
  };

  const partitions = [...new Set(input.partitions)].sort(comparePartitionKeys);
  const unassigned: PartitionKey[] = [];
  for (const key of partitions) {
    const previous = input.previous.get(key);
    const owner = input.owners.get(key);
    if (eligible(previous, key)) give(key, previous);
    else if (eligible(owner, key)) give(key, owner);
    else unassigned.push(key);
  }

  // Most constrained partitions first, so that narrow subscriptions get served.
  const candidatesOf = (key: PartitionKey) => members.filter((member) => eligible(member.id, key));
  const constrained = unassigned
    .map((key) => ({ key, candidates: candidatesOf(key) }))
    .filter(({ candidates }) => candidates.length > 0)
    .sort((a, b) => a.candidates.length - b.candidates.length || comparePartitionKeys(a.key, b.key));
  for (const { key, candidates } of constrained) {
    let best = candidates[0]!;
    for (const candidate of candidates) if (held.get(candidate.id)!.size < held.get(best.id)!.size) best = candidate;
    give(key, best.id);
  }

  // Balance: move from a member with >= 2 more partitions to one that can take one.
  const rank = (key: PartitionKey, giver: string, receiver: string): number => {
    const owner = input.owners.get(key);
    if (owner === receiver) return 0; // cancels a move under way
    if (owner === undefined) return 1;
    if (owner !== giver) return 2; // was moving to the giver anyway
    return 3;
  };
  for (let moves = 0; moves <= partitions.length * 2; moves++) {
    const bySize = [...members].sort((a, b) => held.get(b.id)!.size - held.get(a.id)!.size || (a.id < b.id ? -1 : 1));
    let moved = false;
    outer: for (const giver of bySize) {
      const giverSize = held.get(giver.id)!.size;
      for (let r = bySize.length - 1; r >= 0; r--) {
        const receiver = bySize[r]!;
        if (held.get(receiver.id)!.size + 2 > giverSize) break;
        let choice: PartitionKey | undefined;
        let choiceRank = Infinity;
        for (const key of held.get(giver.id)!) {
          if (!eligible(receiver.id, key)) continue;
          const keyRank = rank(key, giver.id, receiver.id);
          if (keyRank < choiceRank || (keyRank === choiceRank && comparePartitionKeys(key, choice!) > 0)) {
            choice = key;
            choiceRank = keyRank;
          }
        }
        if (choice !== undefined) {
          give(choice, receiver.id);
          moved = true;
          break outer;
        }
      }
    }
    if (!moved) break;
  }
  return target;
}

/**
 * Whether `target` is balanced for `members`: every partition of `partitions`
 * that some member can take is assigned to a member subscribed to its topic,
 * and no member has two or more partitions more than a member that could take
 * one of them.
 */
export function isBalanced(
  target: ReadonlyMap<PartitionKey, string>,
  members: readonly SubscribedMember[],
  partitions: readonly PartitionKey[],
): boolean {
  const subscriptions = new Map(members.map((member) => [member.id, new Set(member.topics)]));
  const held = new Map<string, PartitionKey[]>(members.map((member) => [member.id, []]));
  for (const key of partitions) {
    const memberId = target.get(key);
    const canTake = members.some((member) => subscriptions.get(member.id)!.has(topicOf(key)));
    if (memberId === undefined) {
      if (canTake) return false;
      continue;
    }
    if (!subscriptions.get(memberId)?.has(topicOf(key))) return false;
    held.get(memberId)!.push(key);
  }
  for (const giver of members) {
    for (const receiver of members) {
      if (held.get(giver.id)!.length < held.get(receiver.id)!.length + 2) continue;
      if (held.get(giver.id)!.some((key) => subscriptions.get(receiver.id)!.has(topicOf(key)))) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Cooperative reconciliation
// ---------------------------------------------------------------------------

export interface TopicSnapshot {
  /** The topic's id (a re-created topic has a new one). */
  readonly id: string;
  readonly partitions: number;
}

/** Where a partition moving away from its owner started: the generation that moved it, and when. */
export interface Revocation {
  readonly generation: number;
  readonly since: number;
}

/** The group's plan and ownership, as the meta item holds them. */
export interface GroupPlan {
  readonly generation: number;
  /** The members of the plan (live when it was made), sorted. */
  readonly members: readonly string[];
  /** The subscribed topics as last seen. */
  readonly topics: ReadonlyMap<string, TopicSnapshot>;
  readonly targets: ReadonlyMap<PartitionKey, string>;
  readonly owners: ReadonlyMap<PartitionKey, string>;
  /** Partitions whose owner is not their target. */
  readonly moving: ReadonlyMap<PartitionKey, Revocation>;
}

export const EMPTY_PLAN: GroupPlan = {
  generation: 0,
  members: [],
  topics: new Map(),
  targets: new Map(),
  owners: new Map(),
  moving: new Map(),
};

export interface LiveMember extends SubscribedMember {
  /** The last generation the member acknowledged with a heartbeat. */
  readonly ackGeneration: number;
  readonly sessionTimeoutMs: number;
}

export interface ReconcileInput {
  readonly plan: GroupPlan;
  /** Only the live members (expiresAt > now). */
  readonly members: readonly LiveMember[];
  /** Current metadata of every topic a live member subscribes to; missing = the topic does not exist. */
  readonly topics: ReadonlyMap<string, TopicSnapshot | undefined>;
  readonly now: number;
}

/** A change of a partition's owner, to write on its offset item. */
export interface OwnerChange {
  readonly key: PartitionKey;
  readonly topic: string;
  readonly partition: number;
  /** The new owner; undefined releases the partition. */
  readonly owner: string | undefined;
  /** The topic's current id (written with a new owner). */
  readonly topicId: string | undefined;
}

export interface ReconcileResult {
  readonly plan: GroupPlan;
  /** Whether anything differs from the input plan (the meta item must be written). */
  readonly changed: boolean;
  /** Whether a new generation was planned. */
  readonly rebalanced: boolean;
  readonly ownerChanges: readonly OwnerChange[];
  /** Members of the old plan, or owners, that are no longer live. */
  readonly departed: readonly string[];
}

/**
 * One step of the cooperative protocol: drops departed members, plans a new
 * generation when the members, their subscriptions or the partitions changed,
 * and hands partitions over where that is allowed now:
 * - a partition without a live owner goes to its target at once;
 * - a moving partition goes to its target once its owner has acknowledged the
 *   generation that moved it, or once the owner's session timeout has passed
 *   since the move began (an owner that never acknowledges is fenced).
 * Partitions of topics no live member subscribes to (or that no longer exist)
 * are released.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { plan, now } = input;
  const live = new Map(input.members.map((member) => [member.id, member]));

  // Every partition of every subscribed topic that exists.
  const topics = new Map<string, TopicSnapshot>();
  for (const member of input.members) {
    for (const topic of member.topics) {
      const snapshot = input.topics.get(topic);
      if (snapshot) topics.set(topic, snapshot);
    }
  }
  const universe: PartitionKey[] = [];
  for (const topic of [...topics.keys()].sort()) {
    for (let p = 0; p < topics.get(topic)!.partitions; p++) universe.push(partitionKey(topic, p));
  }
  const inUniverse = new Set(universe);

  // Owners that left, expired, or own a partition that no longer exists lose it now.
  const owners = new Map(plan.owners);
  for (const [key, owner] of plan.owners) {
    if (!live.has(owner) || !inUniverse.has(key)) owners.delete(key);
  }

  // A new plan when the members, a subscription or the partitions changed.
  const liveIds = [...live.keys()].sort();
  const sameMembers = liveIds.length === plan.members.length && liveIds.every((id, i) => id === plan.members[i]);
  const subscribed = (memberId: string, key: PartitionKey) => live.get(memberId)?.topics.includes(topicOf(key)) ?? false;
  const planValid =
    sameMembers &&
    plan.targets.size === universe.length &&
    universe.every((key) => {
      const target = plan.targets.get(key);
      return target !== undefined && subscribed(target, key);
    });
  let targets: ReadonlyMap<PartitionKey, string> = plan.targets;
  let generation = plan.generation;
  if (!planValid) {
    const next = planAssignment({ members: input.members, partitions: universe, previous: plan.targets, owners });
    if (!sameMembers || !sameAssignment(next, plan.targets)) generation++;
    targets = next;
  }

  // Hand-overs.
  const moving = new Map<PartitionKey, Revocation>();
  for (const key of universe) {
    const target = targets.get(key);
    const owner = owners.get(key);
    if (target === undefined) {
      owners.delete(key); // no live member subscribes to it any more
      continue;
    }
    if (owner === target) continue;
    if (owner === undefined) {
      owners.set(key, target);
      continue;
    }
    const revocation = plan.moving.get(key) ?? { generation, since: now };
    const ownerState = live.get(owner)!;
    if (ownerState.ackGeneration >= revocation.generation || now >= revocation.since + ownerState.sessionTimeoutMs) {
      owners.set(key, target);
    } else {
      moving.set(key, revocation);
    }
  }

  // What changes on the offset items: owners, and the topic id of partitions of a re-created topic.
  const ownerChanges: OwnerChange[] = [];
  const keys = [...new Set([...plan.owners.keys(), ...owners.keys()])].sort(comparePartitionKeys);
  for (const key of keys) {
    const before = plan.owners.get(key);
    const after = owners.get(key);
    const { topic, partition } = parsePartitionKey(key);
    const recreated = after !== undefined && plan.topics.get(topic) !== undefined && plan.topics.get(topic)!.id !== topics.get(topic)?.id;
    if (before !== after || recreated) {
      ownerChanges.push({ key, topic, partition, owner: after, topicId: after === undefined ? undefined : topics.get(topic)!.id });
    }
  }

  const departed = [...new Set([...plan.members, ...plan.owners.values()])].filter((id) => !live.has(id)).sort();
  const next: GroupPlan = { generation, members: liveIds, topics, targets, owners, moving };
  const changed =
    generation !== plan.generation ||
    !sameMembers ||
    ownerChanges.length > 0 ||
    !sameAssignment(targets, plan.targets) ||
    !sameRevocations(moving, plan.moving) ||
    !sameTopics(topics, plan.topics);
  return { plan: next, changed, rebalanced: generation !== plan.generation, ownerChanges, departed };
}

/** What a member may consume now: the partitions it owns and is the target of. */
export function consumable(plan: GroupPlan, memberId: string): PartitionKey[] {
  const keys: PartitionKey[] = [];
  for (const [key, owner] of plan.owners) if (owner === memberId && plan.targets.get(key) === memberId) keys.push(key);
  return keys.sort(comparePartitionKeys);
}

/** Whether a member's assignment is still changing: it owns a partition it must give up, or waits for one. */
export function memberIsRebalancing(plan: GroupPlan, memberId: string): boolean {
  for (const key of plan.moving.keys()) {
    if (plan.owners.get(key) === memberId || plan.targets.get(key) === memberId) return true;
  }
  return false;
}

/** `[{topic, partitions}]`, topics sorted, partitions ascending. */
export function toAssignment(keys: readonly PartitionKey[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const key of [...keys].sort(comparePartitionKeys)) {
    const { topic, partition } = parsePartitionKey(key);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function sameAssignment(a: ReadonlyMap<PartitionKey, string>, b: ReadonlyMap<PartitionKey, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function sameRevocations(a: ReadonlyMap<PartitionKey, Revocation>, b: ReadonlyMap<PartitionKey, Revocation>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (!other || other.generation !== value.generation || other.since !== value.since) return false;
  }
  return true;
}

function sameTopics(a: ReadonlyMap<string, TopicSnapshot>, b: ReadonlyMap<string, TopicSnapshot>): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, value] of a) {
    const other = b.get(topic);
    if (!other || other.id !== value.id || other.partitions !== value.partitions) return false;
  }
  return true;
}

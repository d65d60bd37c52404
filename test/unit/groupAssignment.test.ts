import { describe, expect, it } from 'vitest';
import {
  consumable,
  decodePartitionSet,
  EMPTY_PLAN,
  encodePartitionSet,
  isBalanced,
  memberIsRebalancing,
  partitionKey,
  planAssignment,
  reconcile,
  toAssignment,
  type GroupPlan,
  type LiveMember,
  type PartitionKey,
  type SubscribedMember,
  type TopicSnapshot,
} from '../../functions/groups/assignment.js';
import { metaAttributes, planFromMeta, storedPlan, type MetaItem } from '../../functions/groups/groupItems.js';
import { seededRandom } from '../helpers/random.js';

const keys = (topic: string, count: number) => Array.from({ length: count }, (_, p) => partitionKey(topic, p));

function counts(target: ReadonlyMap<PartitionKey, string>, members: readonly SubscribedMember[]): number[] {
  const byMember = new Map(members.map((m) => [m.id, 0]));
  for (const id of target.values()) byMember.set(id, (byMember.get(id) ?? 0) + 1);
  return [...byMember.values()];
}

function moves(before: ReadonlyMap<PartitionKey, string>, after: ReadonlyMap<PartitionKey, string>): number {
  let moved = 0;
  for (const [key, id] of after) if (before.has(key) && before.get(key) !== id) moved++;
  return moved;
}


const member = (id: string, topics: string[], ackGeneration = 0, sessionTimeoutMs = 10_000): LiveMember => ({ id, topics, ackGeneration, sessionTimeoutMs });
const topicMap = (entries: Record<string, number>) =>
  new Map<string, TopicSnapshot | undefined>(Object.entries(entries).map(([name, partitions]) => [name, { id: `id-${name}`, partitions }]));

describe('groups: partition sets', () => {
  it('encodes ranges compactly and decodes them back', () => {
    const set = [...keys('orders', 4), partitionKey('orders', 7), partitionKey('a.b_c-d', 0), partitionKey('orders', 9), partitionKey('orders', 10)];
    const encoded = encodePartitionSet(set);
    expect(encoded).toBe('a.b_c-d:0;orders:0-3,7,9-10');
    expect(decodePartitionSet(encoded).sort()).toEqual([...set].sort());
    expect(encodePartitionSet([])).toBe('');
    expect(decodePartitionSet('')).toEqual([]);
  });

  it('round-trips a plan through the meta item', () => {
    const plan: GroupPlan = {
      generation: 7,
      members: ['m-a', 'm-b', 'm-c'],
      topics: new Map([['orders', { id: 'x', partitions: 3 }]]),
      targets: new Map([[partitionKey('orders', 0), 'm-a'], [partitionKey('orders', 1), 'm-b'], [partitionKey('orders', 2), 'm-b']]),
      owners: new Map([[partitionKey('orders', 0), 'm-a'], [partitionKey('orders', 1), 'm-a'], [partitionKey('orders', 2), 'm-b']]),
      moving: new Map([[partitionKey('orders', 1), { generation: 7, since: 1000 }]]),
    };
    const meta = { pk: 'g', sk: 'meta', version: 3, createdAt: 0, updatedAt: 0, ...metaAttributes(plan) } as MetaItem;
    expect(storedPlan(meta)).toEqual({
      members: { 'm-a': 'orders:0', 'm-b': 'orders:1-2', 'm-c': '' },
      owners: { 'm-a': 'orders:0-1', 'm-b': 'orders:2' },
      moving: { 'orders#1': [7, 1000] },
      topics: { orders: ['x', 3] },
    });
    expect(planFromMeta(meta)).toEqual(plan);
  });

  it('keeps the meta item of the largest group allowed well under DynamoDB\'s 400 KB', () => {
    // 1,000 members over 10 topics of 1,000 partitions with long names, spread as unevenly across topics as can be.
    const members = Array.from({ length: 1000 }, (_, i) => `m-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`).sort();
    const topicNames = Array.from({ length: 10 }, (_, i) => `${'long-topic-name-'.repeat(15)}${i}`);
    const all = topicNames.flatMap((name) => keys(name, 1000));
    const targets = new Map(all.map((key, i) => [key, members[i % members.length]!]));
    const owners = new Map(all.map((key, i) => [key, members[(i + 1) % members.length]!]));
    const moving = new Map(all.filter((_, i) => i % 2 === 0).map((key) => [key, { generation: 12, since: 1_700_000_000_000 }]));
    const plan: GroupPlan = { generation: 12, members, topics: new Map(topicNames.map((name) => [name, { id: 'abcdef0123456789', partitions: 1000 }])), targets, owners, moving };
    const { plan: bytes } = metaAttributes(plan);
    expect(bytes.length).toBeLessThan(350_000);
    expect(planFromMeta({ pk: 'g', sk: 'meta', version: 1, generation: 12, plan: bytes, createdAt: 0, updatedAt: 0 })).toEqual(plan);
  });
});

describe('groups: planAssignment', () => {
  it('spreads partitions evenly over members with the same subscription', () => {
    const members = ['a', 'b', 'c'].map((id) => ({ id, topics: ['t'] }));
    const target = planAssignment({ members, partitions: keys('t', 10), previous: new Map(), owners: new Map() });
    expect(target.size).toBe(10);
    expect(counts(target, members).sort()).toEqual([3, 3, 4]);
    expect(isBalanced(target, members, keys('t', 10))).toBe(true);
  });

  it('is sticky: a new member takes only its share, a leaving member\'s partitions alone move', () => {
    const three = ['a', 'b', 'c'].map((id) => ({ id, topics: ['t'] }));
    const partitions = keys('t', 12);
    const first = planAssignment({ members: three, partitions, previous: new Map(), owners: new Map() });

    const four = [...three, { id: 'd', topics: ['t'] }];
    const joined = planAssignment({ members: four, partitions, previous: first, owners: first });
    expect(moves(first, joined)).toBe(3);
    expect(counts(joined, four)).toEqual([3, 3, 3, 3]);

    const left = planAssignment({ members: four.filter((m) => m.id !== 'b'), partitions, previous: joined, owners: joined });
    for (const [key, id] of joined) if (id !== 'b') expect(left.get(key)).toBe(id);
    expect(counts(left, four.filter((m) => m.id !== 'b')).sort()).toEqual([4, 4, 4]);
  });

  it('gives partitions only to members subscribed to their topic, balanced as far as subscriptions allow', () => {
    const members = [
      { id: 'a', topics: ['x'] },
      { id: 'b', topics: ['x', 'y'] },
      { id: 'c', topics: ['y'] },
      { id: 'd', topics: ['z'] },
    ];
    const partitions = [...keys('x', 6), ...keys('y', 2), ...keys('z', 1)];
    const target = planAssignment({ members, partitions, previous: new Map(), owners: new Map() });
    for (const [key, id] of target) expect(members.find((m) => m.id === id)!.topics).toContain(key.split('#')[0]);
    expect(isBalanced(target, members, partitions)).toBe(true);
    expect(target.get(partitionKey('z', 0))).toBe('d');
  });

  it('prefers to hand back a partition its receiver still owns', () => {
    const members = ['a', 'b'].map((id) => ({ id, topics: ['t'] }));
    const partitions = keys('t', 4);
    // a is the target of all four, but b still owns t#3 (a move that has not happened yet).
    const previous = new Map(partitions.map((key) => [key, 'a']));
    const owners = new Map([...partitions.map((key) => [key, 'a'] as const), [partitionKey('t', 3), 'b'] as const]);
    const target = planAssignment({ members, partitions, previous, owners });
    expect(target.get(partitionKey('t', 3))).toBe('b');
  });

  it('stays balanced over random memberships and subscriptions', () => {
    const next = seededRandom(42);
    const topics = { a: 7, b: 3, c: 12 };
    const all = Object.entries(topics).flatMap(([name, count]) => keys(name, count));
    let previous = new Map<PartitionKey, string>();
    let members: SubscribedMember[] = [];
    for (let step = 0; step < 300; step++) {
      if (members.length === 0 || (next() < 0.55 && members.length < 12)) {
        const subscription = Object.keys(topics).filter(() => next() < 0.6);
        members = [...members, { id: `m${step}`, topics: subscription.length ? subscription : ['c'] }];
      } else {
        members = members.filter((_, i) => i !== Math.floor(next() * members.length));
      }
      const subscribed = new Set(members.flatMap((m) => m.topics));
      const partitions = all.filter((key) => subscribed.has(key.split('#')[0]!));
      const target = planAssignment({ members, partitions, previous, owners: previous });
      expect(isBalanced(target, members, partitions), `step ${step}`).toBe(true);
      if (members.every((m) => m.topics.length === members[0]!.topics.length && m.topics.every((t) => members[0]!.topics.includes(t)))) {
        const sizes = counts(target, members);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
      previous = target;
    }
  });

  it('plans 1,000 partitions over 100 members quickly, and a 101st member moves only its share', () => {
    const members = Array.from({ length: 100 }, (_, i) => ({ id: `m${String(i).padStart(3, '0')}`, topics: ['big'] }));
    const partitions = keys('big', 1000);
    const started = performance.now();
    const first = planAssignment({ members, partitions, previous: new Map(), owners: new Map() });
    const joined = planAssignment({ members: [...members, { id: 'm100', topics: ['big'] }], partitions, previous: first, owners: first });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(counts(first, members)).toEqual(Array(100).fill(10));
    expect(moves(first, joined)).toBe(9);
  });
});

describe('groups: reconcile (cooperative rebalancing)', () => {
  const now = 1_000_000;

  function settle(plan: GroupPlan, members: LiveMember[], topics: Map<string, TopicSnapshot | undefined>, at = now) {
    return reconcile({ plan, members, topics, now: at });
  }

  it('gives every partition to the first member at once, in generation 1', () => {
    const result = settle(EMPTY_PLAN, [member('a', ['t'])], topicMap({ t: 3 }));
    expect(result.rebalanced).toBe(true);
    expect(result.plan.generation).toBe(1);
    expect(consumable(result.plan, 'a')).toEqual(keys('t', 3));
    expect(result.ownerChanges.map((c) => [c.key, c.owner, c.topicId])).toEqual(keys('t', 3).map((key) => [key, 'a', 'id-t']));
  });

  it('moves a partition to a new member only after its owner acknowledges the new generation', () => {
    const topics = topicMap({ t: 4 });
    const one = settle(EMPTY_PLAN, [member('a', ['t'])], topics).plan;

    // b joins: generation 2 plans two partitions for b, but a keeps owning them for now.
    const joined = settle(one, [member('a', ['t'], 1), member('b', ['t'])], topics);
    expect(joined.plan.generation).toBe(2);
    expect(joined.ownerChanges).toEqual([]);
    expect(consumable(joined.plan, 'a')).toHaveLength(2); // what a may still consume
    expect(consumable(joined.plan, 'b')).toEqual([]);
    expect(joined.plan.moving.size).toBe(2);
    expect(memberIsRebalancing(joined.plan, 'a') && memberIsRebalancing(joined.plan, 'b')).toBe(true);
    for (const key of joined.plan.moving.keys()) expect(joined.plan.owners.get(key)).toBe('a');

    // Nothing changes until a acknowledges generation 2.
    expect(settle(joined.plan, [member('a', ['t'], 1), member('b', ['t'])], topics, now + 100).changed).toBe(false);
    const acked = settle(joined.plan, [member('a', ['t'], 2), member('b', ['t'])], topics, now + 100);
    expect(acked.rebalanced).toBe(false);
    expect(acked.ownerChanges.map((c) => c.owner)).toEqual(['b', 'b']);
    expect(consumable(acked.plan, 'b')).toHaveLength(2);
    expect(acked.plan.moving.size).toBe(0);
  });

  it('takes a moving partition from an owner that does not acknowledge within its session timeout', () => {
    const topics = topicMap({ t: 2 });
    const one = settle(EMPTY_PLAN, [member('a', ['t'], 0, 6000)], topics).plan;
    const joined = settle(one, [member('a', ['t'], 1, 6000), member('b', ['t'])], topics).plan;
    expect(settle(joined, [member('a', ['t'], 1, 6000), member('b', ['t'])], topics, now + 5999).changed).toBe(false);
    const forced = settle(joined, [member('a', ['t'], 1, 6000), member('b', ['t'])], topics, now + 6000);
    expect(forced.ownerChanges.map((c) => c.owner)).toEqual(['b']);
  });

  it('hands a departed member\'s partitions over at once', () => {
    const topics = topicMap({ t: 4 });
    let plan = settle(EMPTY_PLAN, [member('a', ['t']), member('b', ['t'])], topics).plan;
    expect(consumable(plan, 'a')).toHaveLength(2);
    const gone = settle(plan, [member('b', ['t'])], topics);
    plan = gone.plan;
    expect(gone.departed).toEqual(['a']);
    expect(consumable(plan, 'b')).toEqual(keys('t', 4));
    expect(plan.moving.size).toBe(0);
  });

  it('picks up added partitions and releases those of a deleted topic', () => {
    const plan = settle(EMPTY_PLAN, [member('a', ['t', 'u']), member('b', ['t'])], topicMap({ t: 2, u: 1 })).plan;
    const grown = settle(plan, [member('a', ['t', 'u'], 1), member('b', ['t'], 1)], topicMap({ t: 4, u: 1 }));
    expect(grown.rebalanced).toBe(true);
    expect(grown.plan.owners.size).toBe(5);
    const deleted = settle(grown.plan, [member('a', ['t', 'u'], 2), member('b', ['t'], 2)], new Map([...topicMap({ t: 4 }), ['u', undefined]]));
    expect(deleted.ownerChanges.filter((c) => c.owner === undefined).map((c) => c.key)).toEqual([partitionKey('u', 0)]);
    expect([...deleted.plan.owners.keys()].every((key) => key.startsWith('t#'))).toBe(true);
  });

  it('rewrites the topic id of owned partitions when a topic was re-created', () => {
    const plan = settle(EMPTY_PLAN, [member('a', ['t'])], topicMap({ t: 1 })).plan;
    const recreated = settle(plan, [member('a', ['t'], 1)], new Map([['t', { id: 'new-id', partitions: 1 }]]));
    expect(recreated.ownerChanges).toEqual([{ key: 't#0', topic: 't', partition: 0, owner: 'a', topicId: 'new-id' }]);
  });

  it('never lets a partition have two owners, and always gives it one, over random steps', () => {
    const next = seededRandom(7);
    const topics = topicMap({ t: 9, u: 4 });
    let plan = EMPTY_PLAN;
    let members: LiveMember[] = [];
    let clock = now;
    for (let step = 0; step < 400; step++) {
      clock += 500;
      const roll = next();
      if (roll < 0.15 && members.length < 8) members = [...members, member(`m${step}`, next() < 0.5 ? ['t', 'u'] : ['t'], 0, 3000)];
      else if (roll < 0.25 && members.length > 0) members = members.filter((_, i) => i !== Math.floor(next() * members.length));
      else members = members.map((m) => (next() < 0.5 ? { ...m, ackGeneration: plan.generation } : m));
      const result = reconcile({ plan, members, topics, now: clock });
      plan = result.plan;
      // Owners are live, and every partition someone subscribes to has one.
      const live = new Set(members.map((m) => m.id));
      for (const owner of plan.owners.values()) expect(live.has(owner)).toBe(true);
      const subscribed = new Set(members.flatMap((m) => m.topics));
      for (const [name, snapshot] of topics) if (subscribed.has(name)) for (const key of keys(name, snapshot!.partitions)) expect(plan.owners.has(key)).toBe(true);
      expect(isBalanced(plan.targets, members, [...plan.targets.keys()])).toBe(true);
      // A partition consumable by one member is consumable by no other.
      const seen = new Set<PartitionKey>();
      for (const m of members) {
        for (const key of consumable(plan, m.id)) {
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }
    }
  });

  it('lists an assignment by topic with partitions ascending', () => {
    expect(toAssignment([partitionKey('b', 10), partitionKey('a', 1), partitionKey('b', 2)])).toEqual([
      { topic: 'a', partitions: [1] },
      { topic: 'b', partitions: [2, 10] },
    ]);
  });
});

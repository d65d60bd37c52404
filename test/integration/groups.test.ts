import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { putTestKey } from '../helpers/keys.js';
import { createTestConfig } from '../helpers/testConfig.js';

/** The coordinator's clock: tests move it to expire leases without waiting. */
let clock = Date.now();
const advance = (ms: number) => (clock += ms);
let brook: BrookUnderTest;
let counter = 0;

const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`;

/** A new topic; with `records`, that many in each partition (commits may not pass the high watermark). */
async function newTopic(partitions = 1, records = 0): Promise<string> {
  const name = unique('t');
  const created = await brook.call({ method: 'POST', path: '/v1/topics', body: { name, partitions } });
  expect(created.status).toBe(201);
  if (records > 0) for (let partition = 0; partition < partitions; partition++) await produce(name, partition, records);
  return name;
}

const SESSION = 6000;
const join = (group: string, body: Record<string, unknown>, apiKey?: string) =>
  brook.call({ method: 'POST', path: `/v1/groups/${group}/members`, body: { sessionTimeoutMs: SESSION, ...body }, ...(apiKey ? { apiKey } : {}) });
const heartbeat = (group: string, memberId: string, generation: number) =>
  brook.call({ method: 'POST', path: `/v1/groups/${group}/members/${memberId}/heartbeat`, body: { generation } });
const leave = (group: string, memberId: string) => brook.call({ method: 'DELETE', path: `/v1/groups/${group}/members/${memberId}` });
const commit = (group: string, body: Record<string, unknown>, apiKey?: string) =>
  brook.call({ method: 'POST', path: `/v1/groups/${group}/offsets`, body, ...(apiKey ? { apiKey } : {}) });
const describeGroup = (group: string, apiKey?: string) => brook.call({ method: 'GET', path: `/v1/groups/${group}`, ...(apiKey ? { apiKey } : {}) });
const groupOffsets = (group: string) => brook.call({ method: 'GET', path: `/v1/groups/${group}/offsets` });
const reset = (group: string, body: Record<string, unknown>, apiKey?: string) =>
  brook.call({ method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body, ...(apiKey ? { apiKey } : {}) });

/** Partitions of `topic` in an assignment. */
function partitionsOf(assignment: { topic: string; partitions: number[] }[], topic: string): number[] {
  return assignment.find((entry) => entry.topic === topic)?.partitions ?? [];
}

async function produce(topic: string, partition: number, count: number, timestamp?: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition, ...(timestamp !== undefined ? { timestamp: timestamp + i } : {}) }));
  const response = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig(), { groups: { now: () => clock, topicMetadataMaxAgeMs: 1000 } });
});

describe('consumer groups: membership and cooperative rebalancing', () => {
  it('gives the first member every partition, with a heartbeat interval of a third of its session timeout', async () => {
    const topic = await newTopic(3);
    const group = unique('g');

    const joined = await join(group, { topics: [topic], clientId: 'app-1' });

    expect(joined.status).toBe(200);
    expect(joined.body).toEqual({
      memberId: expect.stringMatching(/^m-[0-9a-f]{16}$/),
      generation: 1,
      assignment: [{ topic, partitions: [0, 1, 2] }],
      heartbeatIntervalMs: 2000,
    });
    const beat = await heartbeat(group, joined.body.memberId, 1);
    expect(beat.body).toEqual({ generation: 1, assignment: [{ topic, partitions: [0, 1, 2] }], rebalancing: false });
    expect((await join(unique('g'), { topics: [topic], sessionTimeoutMs: undefined })).body.heartbeatIntervalMs).toBe(10_000);
  });

  it('moves a partition only after its owner acknowledges; meanwhile the old owner commits and the new one is told to retry', async () => {
    const topic = await newTopic(4, 20);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const b = (await join(group, { topics: [topic] })).body;
    expect(b.generation).toBe(2);
    expect(b.assignment).toEqual([]); // nothing is free yet

    // a learns of generation 2: two partitions are no longer for it, but it still owns them.
    const learnt = (await heartbeat(group, a.memberId, 1)).body;
    expect(learnt.generation).toBe(2);
    expect(learnt.rebalancing).toBe(true);
    const kept = partitionsOf(learnt.assignment, topic);
    const moving = [0, 1, 2, 3].filter((p) => !kept.includes(p));
    expect(kept).toHaveLength(2);
    expect((await describeGroup(group)).body.state).toBe('Rebalancing');

    // The old owner may still commit what it processed; the new owner has to wait.
    expect((await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: moving[0], offset: 10 }] })).status).toBe(204);
    const early = await commit(group, { memberId: b.memberId, generation: 2, offsets: [{ topic, partition: moving[0], offset: 11 }] });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'REBALANCE_IN_PROGRESS', retriable: true });
    expect(partitionsOf((await heartbeat(group, b.memberId, 2)).body.assignment, topic)).toEqual([]);

    // a acknowledges generation 2: the partitions change hands.
    const acked = (await heartbeat(group, a.memberId, 2)).body;
    expect(acked).toEqual({ generation: 2, assignment: [{ topic, partitions: kept }], rebalancing: false });
    expect((await heartbeat(group, b.memberId, 2)).body).toEqual({ generation: 2, assignment: [{ topic, partitions: moving }], rebalancing: false });
    const zombie = await commit(group, { memberId: a.memberId, generation: 2, offsets: [{ topic, partition: moving[0], offset: 12 }] });
    expect(zombie.status).toBe(409);
    expect(zombie.body.error).toMatchObject({ code: 'FENCED_MEMBER', retriable: false });
    expect((await commit(group, { memberId: b.memberId, generation: 2, offsets: [{ topic, partition: moving[0], offset: 11 }] })).status).toBe(204);
    expect((await describeGroup(group)).body.state).toBe('Stable');
  });

  it('hands a leaving member\'s partitions over at once', async () => {
    const topic = await newTopic(4);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const b = (await join(group, { topics: [topic] })).body;
    await heartbeat(group, a.memberId, 2);

    expect((await leave(group, a.memberId)).status).toBe(204);

    const after = (await heartbeat(group, b.memberId, 2)).body;
    expect(after.generation).toBe(3);
    expect(after.assignment).toEqual([{ topic, partitions: [0, 1, 2, 3] }]);
    expect((await heartbeat(group, a.memberId, 3)).body.error.code).toBe('MEMBER_NOT_FOUND');
    expect((await leave(group, a.memberId)).body.error.code).toBe('MEMBER_NOT_FOUND');
  });

  it('expires a member that stops heartbeating: it is fenced, and its partitions go to the others at their next heartbeat', async () => {
    const topic = await newTopic(2, 20);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const b = (await join(group, { topics: [topic] })).body;
    await heartbeat(group, a.memberId, 2);
    const bPartitions = partitionsOf((await heartbeat(group, b.memberId, 2)).body.assignment, topic);
    expect(bPartitions).toHaveLength(1);

    advance(SESSION - 1000);
    await heartbeat(group, a.memberId, 2); // a stays; b is silent
    advance(1000);

    const zombie = await commit(group, { memberId: b.memberId, generation: 2, offsets: [{ topic, partition: bPartitions[0], offset: 1 }] });
    expect(zombie.body.error.code).toBe('FENCED_MEMBER');
    expect((await heartbeat(group, b.memberId, 2)).body.error.code).toBe('MEMBER_NOT_FOUND');
    const after = (await heartbeat(group, a.memberId, 2)).body;
    expect(after).toMatchObject({ generation: 3, assignment: [{ topic, partitions: [0, 1] }] });
    expect((await commit(group, { memberId: a.memberId, generation: 3, offsets: [{ topic, partition: bPartitions[0], offset: 1 }] })).status).toBe(204);
  });

  it('takes a moving partition from an owner that never acknowledges, once its session timeout has passed', async () => {
    const topic = await newTopic(2, 20);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const b = (await join(group, { topics: [topic] })).body;
    const kept = partitionsOf((await heartbeat(group, a.memberId, 1)).body.assignment, topic);
    const moving = 1 - kept[0]!;

    // a keeps heartbeating with generation 1: it never acknowledges generation 2.
    for (let waited = 0; waited < SESSION - 2000; waited += 2000) {
      advance(2000);
      expect((await heartbeat(group, a.memberId, 1)).body.rebalancing).toBe(true);
      await heartbeat(group, b.memberId, 2);
    }
    expect(partitionsOf((await heartbeat(group, b.memberId, 2)).body.assignment, topic)).toEqual([]);
    advance(2000);
    await heartbeat(group, a.memberId, 1);

    expect(partitionsOf((await heartbeat(group, b.memberId, 2)).body.assignment, topic)).toEqual([moving]);
    const late = await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: moving, offset: 1 }] });
    expect(late.body.error.code).toBe('FENCED_MEMBER');
  });

  it('settles a burst of concurrent joins into one balanced, stable group', async () => {
    const topic = await newTopic(12);
    const group = unique('g');
    const joined = await Promise.all(Array.from({ length: 6 }, () => join(group, { topics: [topic] })));
    expect(joined.map((r) => r.status)).toEqual(Array(6).fill(200));
    const members = joined.map((r) => ({ id: r.body.memberId as string, generation: r.body.generation as number, held: [] as number[] }));
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        members.map(async (m) => {
          const beat = (await heartbeat(group, m.id, m.generation)).body;
          m.generation = beat.generation;
          m.held = partitionsOf(beat.assignment, topic);
        }),
      );
    }
    const described = (await describeGroup(group)).body;
    expect(described.state).toBe('Stable');
    expect(members.map((m) => m.held.length)).toEqual(Array(6).fill(2));
    expect(new Set(members.flatMap((m) => m.held)).size).toBe(12);
  });

  it('picks up partitions added to a topic', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const altered = await brook.call({ method: 'PATCH', path: `/v1/topics/${topic}`, body: { partitions: 5 } });
    expect(altered.status).toBe(200);

    advance(1000); // the coordinator's topic cache in this test lives 1 s
    const after = (await heartbeat(group, a.memberId, 1)).body;

    expect(after).toEqual({ generation: 2, assignment: [{ topic, partitions: [0, 1, 2, 3, 4] }], rebalancing: false });
  });

  it('balances members with different topic sets over the partitions each subscribes to', async () => {
    const x = await newTopic(4);
    const y = await newTopic(2);
    const group = unique('g');
    const a = (await join(group, { topics: [x] })).body;
    const b = (await join(group, { topics: [x, y] })).body;
    const c = (await join(group, { topics: [y] })).body;
    for (let round = 0; round < 3; round++) for (const m of [a, b, c]) await heartbeat(group, m.memberId, 3);

    const described = (await describeGroup(group)).body;
    expect(described.state).toBe('Stable');
    const held = Object.fromEntries(described.members.map((m: { memberId: string; assignment: { topic: string; partitions: number[] }[] }) => [m.memberId, m.assignment]));
    expect(partitionsOf(held[a.memberId], y)).toEqual([]);
    expect(partitionsOf(held[c.memberId], x)).toEqual([]);
    const total = (id: string) => held[id].reduce((sum: number, entry: { partitions: number[] }) => sum + entry.partitions.length, 0);
    expect([total(a.memberId), total(b.memberId), total(c.memberId)].sort()).toEqual([1, 2, 3].sort());
    expect(total(a.memberId) + total(b.memberId) + total(c.memberId)).toBe(6);
    expect(Math.max(total(a.memberId), total(b.memberId)) - Math.min(total(a.memberId), total(b.memberId))).toBeLessThanOrEqual(1);
  });
});

describe('consumer groups: static membership', () => {
  it('gives a member that rejoins with its instanceId within its session timeout its partitions back, same generation, old id fenced', async () => {
    const topic = await newTopic(4, 20);
    const group = unique('g');
    const a = (await join(group, { topics: [topic], instanceId: 'worker-1' })).body;
    const b = (await join(group, { topics: [topic], instanceId: 'worker-2' })).body;
    await heartbeat(group, a.memberId, 2);
    const bHeld = partitionsOf((await heartbeat(group, b.memberId, 2)).body.assignment, topic);
    await commit(group, { memberId: b.memberId, generation: 2, offsets: [{ topic, partition: bHeld[0], offset: 3 }] });

    advance(SESSION - 1); // b restarts: no heartbeat for almost a whole session
    await heartbeat(group, a.memberId, 2);
    const back = await join(group, { topics: [topic], instanceId: 'worker-2', clientId: 'restarted' });

    expect(back.status).toBe(200);
    expect(back.body.memberId).not.toBe(b.memberId);
    expect(back.body.generation).toBe(2);
    expect(partitionsOf(back.body.assignment, topic)).toEqual(bHeld);
    expect((await heartbeat(group, a.memberId, 2)).body).toMatchObject({ generation: 2, rebalancing: false });
    expect((await heartbeat(group, b.memberId, 2)).body.error.code).toBe('MEMBER_NOT_FOUND');
    const fenced = await commit(group, { memberId: b.memberId, generation: 2, offsets: [{ topic, partition: bHeld[0], offset: 4 }] });
    expect(fenced.body.error.code).toBe('FENCED_MEMBER');
    expect((await commit(group, { memberId: back.body.memberId, generation: 2, offsets: [{ topic, partition: bHeld[0], offset: 4 }] })).status).toBe(204);
    const members = (await describeGroup(group)).body.members;
    expect(members.map((m: { instanceId: string }) => m.instanceId).sort()).toEqual(['worker-1', 'worker-2']);
    expect(members.find((m: { instanceId: string }) => m.instanceId === 'worker-2').clientId).toBe('restarted');
  });

  it('treats a rejoin after the session timeout as a new member (a rebalance)', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    const a = (await join(group, { topics: [topic], instanceId: 'w-1' })).body;
    const b = (await join(group, { topics: [topic], instanceId: 'w-2' })).body;
    await heartbeat(group, a.memberId, 2);
    await heartbeat(group, b.memberId, 2);

    advance(SESSION);
    await heartbeat(group, a.memberId, 2).catch(() => undefined); // a expired too: the group is empty
    const back = (await join(group, { topics: [topic], instanceId: 'w-2' })).body;

    expect(back.generation).toBeGreaterThan(2);
    expect(back.assignment).toEqual([{ topic, partitions: [0, 1] }]);
  });
});

describe('consumer groups: commits and offsets', () => {
  it('lists committed offsets with metadata, high watermarks and lag', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    await produce(topic, 0, 5);
    await produce(topic, 1, 2);
    const a = (await join(group, { topics: [topic] })).body;

    const committed = await commit(group, {
      memberId: a.memberId,
      generation: 1,
      offsets: [{ topic, partition: 0, offset: 3, metadata: 'checkpoint-7' }, { topic, partition: 1, offset: 2 }],
    });

    expect(committed.status).toBe(204);
    expect((await groupOffsets(group)).body).toEqual({
      offsets: [
        { topic, partition: 0, offset: 3, metadata: 'checkpoint-7', highWatermark: 5, lag: 2 },
        { topic, partition: 1, offset: 2, metadata: null, highWatermark: 2, lag: 0 },
      ],
    });
  });

  it('lets the owner commit the same offset again, or a lower one (a replay after a seek)', async () => {
    const topic = await newTopic(1);
    const group = unique('g');
    await produce(topic, 0, 12);
    const a = (await join(group, { topics: [topic] })).body;
    const at = (offset: number) => commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset }] });
    expect((await at(10)).status).toBe(204);
    expect((await at(10)).status).toBe(204);

    const back = await at(4);

    expect(back.status).toBe(204);
    expect((await groupOffsets(group)).body.offsets[0]).toMatchObject({ offset: 4, highWatermark: 12, lag: 8 });
  });

  it('refuses a commit above the high watermark (400 INVALID_OFFSET with highWatermark) and changes nothing', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    await produce(topic, 0, 3);
    const a = (await join(group, { topics: [topic] })).body;
    expect((await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 3 }] })).status).toBe(204);

    const past = await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 4 }] });
    const mixed = await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }, { topic, partition: 1, offset: 2 }] });

    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({ code: 'INVALID_OFFSET', highWatermark: 3 });
    expect(mixed.body.error).toMatchObject({ code: 'INVALID_OFFSET', highWatermark: 0 });
    expect((await groupOffsets(group)).body.offsets).toEqual([expect.objectContaining({ partition: 0, offset: 3, lag: 0 })]);
    // Records produced later at those offsets are still delivered: the group's position did not move past them.
    await produce(topic, 1, 2);
    expect((await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 1, offset: 2 }] })).status).toBe(204);
  });

  it('applies the partitions a member owns in a commit of several, and names the ones it does not', async () => {
    const topic = await newTopic(2, 20);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const b = (await join(group, { topics: [topic] })).body;
    await heartbeat(group, a.memberId, 2);
    const aHeld = partitionsOf((await heartbeat(group, a.memberId, 2)).body.assignment, topic)[0]!;
    const other = 1 - aHeld;
    await heartbeat(group, b.memberId, 2);

    const mixed = await commit(group, { memberId: a.memberId, generation: 2, offsets: [{ topic, partition: aHeld, offset: 5 }, { topic, partition: other, offset: 5 }] });

    expect(mixed.status).toBe(409);
    expect(mixed.body.error.code).toBe('FENCED_MEMBER');
    expect(mixed.body.error.results).toEqual([
      { topic, partition: aHeld },
      { topic, partition: other, error: expect.objectContaining({ code: 'FENCED_MEMBER' }) },
    ]);
    expect((await groupOffsets(group)).body.offsets).toEqual([expect.objectContaining({ partition: aHeld, offset: 5 })]);
  });

  it('accepts a commit without a member only while the group has no live member', async () => {
    const topic = await newTopic(2);
    const group = unique('g');

    await produce(topic, 1, 1);
    expect((await commit(group, { offsets: [{ topic, partition: 1, offset: 0, metadata: 'seed' }] })).status).toBe(204);
    expect((await brook.call({ method: 'GET', path: '/v1/groups' })).body.groups).toContainEqual({ group, state: 'Empty', members: 0 });
    const a = (await join(group, { topics: [topic] })).body;
    const busy = await commit(group, { offsets: [{ topic, partition: 1, offset: 1 }] });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('GROUP_NOT_EMPTY');
    await leave(group, a.memberId);
    expect((await commit(group, { offsets: [{ topic, partition: 1, offset: 1 }] })).status).toBe(204);
    expect((await commit(group, { offsets: [{ topic, partition: 1, offset: 0 }] })).body.error.code).toBe('INVALID_OFFSET');
    expect((await commit(group, { offsets: [{ topic, partition: 1, offset: 2 }] })).body.error).toMatchObject({ code: 'INVALID_OFFSET', highWatermark: 1 });
    expect((await commit(group, { offsets: [{ topic, partition: 2, offset: 0 }] })).body.error.code).toBe('PARTITION_NOT_FOUND');
    expect((await commit(group, { offsets: [{ topic: 'no-such-topic', partition: 0, offset: 0 }] })).body.error.code).toBe('TOPIC_NOT_FOUND');
  });
});

describe('consumer groups: describe, list, reset and delete', () => {
  it('describes a group: state, generation, members with their assignment and lease, offsets with lag', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    await produce(topic, 0, 4);
    const a = (await join(group, { topics: [topic], clientId: 'svc', instanceId: 'i-1' })).body;
    await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }] });

    const described = await describeGroup(group);

    expect(described.body).toEqual({
      group,
      state: 'Stable',
      generation: 1,
      members: [{ memberId: a.memberId, clientId: 'svc', instanceId: 'i-1', assignment: [{ topic, partitions: [0, 1] }], expiresAt: clock + SESSION }],
      offsets: [{ topic, partition: 0, offset: 1, metadata: null, highWatermark: 4, lag: 3 }],
    });
    advance(SESSION);
    expect((await describeGroup(group)).body).toMatchObject({ state: 'Empty', members: [] });
    expect((await describeGroup(unique('none'))).body.error.code).toBe('GROUP_NOT_FOUND');
    expect((await groupOffsets(unique('none'))).body.error.code).toBe('GROUP_NOT_FOUND');
  });

  it('lists only the groups the key may describe', async () => {
    const topic = await newTopic(1);
    const mine = unique('team-a');
    const theirs = unique('team-b');
    await join(mine, { topics: [topic] });
    await join(theirs, { topics: [topic] });
    const key = `groups-list-${randomBytes(4).toString('hex')}`;
    await putTestKey(brook.config, key, [{ resource: 'group:team-a*', operations: ['describe'] }]);

    const listed = await brook.call({ method: 'GET', path: '/v1/groups', apiKey: key });

    expect(listed.status).toBe(200);
    const names = listed.body.groups.map((g: { group: string }) => g.group);
    expect(names).toContain(mine);
    expect(names).not.toContain(theirs);
    expect(listed.body.groups.find((g: { group: string }) => g.group === mine)).toEqual({ group: mine, state: 'Stable', members: 1 });
  });

  it('resets offsets to earliest, latest, a time, an offset or by a shift, with a dry run, only while empty', async () => {
    const topic = await newTopic(2);
    const group = unique('g');
    await produce(topic, 0, 10, 1_000);
    await produce(topic, 1, 4, 5_000);
    await commit(group, { offsets: [{ topic, partition: 0, offset: 6 }] });

    const latest = await reset(group, { topic, to: 'latest', dryRun: true });
    expect(latest.body).toEqual({
      offsets: [
        { topic, partition: 0, before: 6, after: 10 },
        { topic, partition: 1, before: null, after: 4 },
      ],
    });
    expect((await groupOffsets(group)).body.offsets.map((o: { offset: number }) => o.offset)).toEqual([6]);

    const afterOf = async (to: unknown, partitions?: number[]) =>
      (await reset(group, { topic, to, ...(partitions ? { partitions } : {}) })).body.offsets.map((o: { after: number }) => o.after);
    expect(await afterOf('earliest')).toEqual([0, 0]);
    expect(await afterOf({ timestamp: 1_004 })).toEqual([4, 0]);
    expect(await afterOf({ shiftBy: 3 })).toEqual([7, 3]);
    expect(await afterOf({ shiftBy: -100 })).toEqual([0, 0]);
    expect(await afterOf({ offset: 2 }, [1])).toEqual([2]);
    expect(await afterOf({ offset: 99 })).toEqual([10, 4]);
    expect((await groupOffsets(group)).body.offsets.map((o: { offset: number }) => o.offset)).toEqual([10, 4]);

    const member = (await join(group, { topics: [topic] })).body;
    const busy = await reset(group, { topic, to: 'earliest' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('GROUP_NOT_EMPTY');
    await leave(group, member.memberId);
    expect((await reset(group, { topic, to: 'earliest', partitions: [2] })).body.error.code).toBe('PARTITION_NOT_FOUND');
    expect((await reset(group, { topic: 'no-such-topic', to: 'earliest' })).body.error.code).toBe('TOPIC_NOT_FOUND');
  });

  it('deletes a group only when it has no live member; the name can be used again', async () => {
    const topic = await newTopic(1);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }] });

    const busy = await brook.call({ method: 'DELETE', path: `/v1/groups/${group}` });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('GROUP_NOT_EMPTY');
    await leave(group, a.memberId);

    expect((await brook.call({ method: 'DELETE', path: `/v1/groups/${group}` })).status).toBe(204);
    expect((await describeGroup(group)).body.error.code).toBe('GROUP_NOT_FOUND');
    expect((await brook.call({ method: 'DELETE', path: `/v1/groups/${group}` })).body.error.code).toBe('GROUP_NOT_FOUND');
    const again = (await join(group, { topics: [topic] })).body;
    expect(again.generation).toBe(1);
    expect((await groupOffsets(group)).body.offsets).toEqual([]);
  });
});

describe('consumer groups: rights and bad input', () => {
  it('checks rights before anything changes', async () => {
    const topic = await newTopic(1);
    const group = unique('g');
    const groupOnly = `g-only-${randomBytes(4).toString('hex')}`;
    const reader = `reader-${randomBytes(4).toString('hex')}`;
    await putTestKey(brook.config, groupOnly, [{ resource: `group:${group}`, operations: ['read'] }]);
    await putTestKey(brook.config, reader, [
      { resource: `group:${group}`, operations: ['read'] },
      { resource: `topic:${topic}`, operations: ['read'] },
    ]);

    expect((await join(group, { topics: [topic] }, groupOnly)).body.error.code).toBe('FORBIDDEN');
    expect((await describeGroup(group)).body.error.code).toBe('GROUP_NOT_FOUND'); // nothing was created
    const a = (await join(group, { topics: [topic] }, reader)).body;
    expect((await commit(group, { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }] }, groupOnly)).body.error.code).toBe('FORBIDDEN');
    expect((await describeGroup(group, reader)).status).toBe(200); // read includes describe
    expect((await reset(group, { topic, to: 'earliest' }, reader)).body.error.code).toBe('FORBIDDEN');
    expect((await brook.call({ method: 'DELETE', path: `/v1/groups/${group}`, apiKey: reader })).body.error.code).toBe('FORBIDDEN');
    expect((await describeGroup(unique('other'), reader)).body.error.code).toBe('FORBIDDEN');
  });

  it('refuses bad input with the contract\'s codes, never a 500', async () => {
    const topic = await newTopic(1);
    const group = unique('g');
    const a = (await join(group, { topics: [topic] })).body;
    const long = 'g'.repeat(256);
    const cases: [string, { method: string; path: string; body?: unknown; rawBody?: string }, number, string][] = [
      ['bad group name', { method: 'POST', path: `/v1/groups/${long}/members`, body: { topics: [topic] } }, 400, 'INVALID_REQUEST'],
      ['group "."', { method: 'GET', path: '/v1/groups/.' }, 400, 'INVALID_REQUEST'],
      ['no topics', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [] } }, 400, 'INVALID_REQUEST'],
      ['bad topic name', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: ['a/b'] } }, 400, 'INVALID_TOPIC'],
      ['unknown topic', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: ['nope-' + counter] } }, 404, 'TOPIC_NOT_FOUND'],
      ['session too short', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], sessionTimeoutMs: 5999 } }, 400, 'INVALID_REQUEST'],
      ['session too long', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], sessionTimeoutMs: 300_001 } }, 400, 'INVALID_REQUEST'],
      ['bad instance id', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], instanceId: 'a b' } }, 400, 'INVALID_REQUEST'],
      ['unknown field', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], extra: 1 } }, 400, 'INVALID_REQUEST'],
      ['not JSON', { method: 'POST', path: `/v1/groups/${group}/members`, rawBody: '{' }, 400, 'INVALID_REQUEST'],
      ['no heartbeat body', { method: 'POST', path: `/v1/groups/${group}/members/${a.memberId}/heartbeat` }, 400, 'INVALID_REQUEST'],
      ['negative generation', { method: 'POST', path: `/v1/groups/${group}/members/${a.memberId}/heartbeat`, body: { generation: -1 } }, 400, 'INVALID_REQUEST'],
      ['bad member id', { method: 'POST', path: `/v1/groups/${group}/members/a.b/heartbeat`, body: { generation: 1 } }, 400, 'INVALID_REQUEST'],
      ['unknown member', { method: 'POST', path: `/v1/groups/${group}/members/m-0000000000000000/heartbeat`, body: { generation: 1 } }, 404, 'MEMBER_NOT_FOUND'],
      ['unknown member leaves', { method: 'DELETE', path: `/v1/groups/${group}/members/m-0000000000000000` }, 404, 'MEMBER_NOT_FOUND'],
      ['heartbeat to another group', { method: 'POST', path: `/v1/groups/${unique('g')}/members/${a.memberId}/heartbeat`, body: { generation: 1 } }, 404, 'MEMBER_NOT_FOUND'],
      ['negative offset', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: -1 }] } }, 400, 'INVALID_OFFSET'],
      ['fractional offset', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1.5 }] } }, 400, 'INVALID_OFFSET'],
      ['offset past 2^53', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 2 ** 53 }] } }, 400, 'INVALID_OFFSET'],
      ['memberId without generation', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, offsets: [{ topic, partition: 0, offset: 1 }] } }, 400, 'INVALID_REQUEST'],
      ['twice the same partition', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }, { topic, partition: 0, offset: 2 }] } }, 400, 'INVALID_REQUEST'],
      ['no offsets', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [] } }, 400, 'INVALID_REQUEST'],
      ['metadata too long', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1, metadata: 'x'.repeat(4097) }] } }, 400, 'INVALID_REQUEST'],
      ['commit topic name', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { offsets: [{ topic: '..', partition: 0, offset: 1 }] } }, 400, 'INVALID_TOPIC'],
      ['unknown member commits', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: 'm-0000000000000000', generation: 1, offsets: [{ topic, partition: 0, offset: 1 }] } }, 409, 'FENCED_MEMBER'],
      ['member commits a partition that does not exist', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 7, offset: 1 }] } }, 409, 'FENCED_MEMBER'],
      ['reset to nonsense', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: 'middle' } }, 400, 'INVALID_REQUEST'],
      ['reset to two targets', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: { offset: 1, shiftBy: 1 } } }, 400, 'INVALID_REQUEST'],
      ['reset with a bad topic', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic: 'a b', to: 'latest' } }, 400, 'INVALID_TOPIC'],
      ['reset a negative partition', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, partitions: [-1], to: 'latest' } }, 400, 'INVALID_REQUEST'],
      ['topics not an array', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: topic } }, 400, 'INVALID_REQUEST'],
      ['session as a string', { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], sessionTimeoutMs: '6000' } }, 400, 'INVALID_REQUEST'],
      ['a body that is an array', { method: 'POST', path: `/v1/groups/${group}/members`, body: [topic] }, 400, 'INVALID_REQUEST'],
      ['a body that is null', { method: 'POST', path: `/v1/groups/${group}/members/${a.memberId}/heartbeat`, rawBody: 'null' }, 400, 'INVALID_REQUEST'],
      ['generation as a string', { method: 'POST', path: `/v1/groups/${group}/members/${a.memberId}/heartbeat`, body: { generation: '1' } }, 400, 'INVALID_REQUEST'],
      ['huge generation', { method: 'POST', path: `/v1/groups/${group}/members/${a.memberId}/heartbeat`, body: { generation: 1e300 } }, 400, 'INVALID_REQUEST'],
      ['offsets as an object', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { offsets: { topic, partition: 0, offset: 1 } } }, 400, 'INVALID_REQUEST'],
      ['partition as a string', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { offsets: [{ topic, partition: '0', offset: 1 }] } }, 400, 'INVALID_REQUEST'],
      ['metadata as a number', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: a.memberId, generation: 1, offsets: [{ topic, partition: 0, offset: 1, metadata: 5 }] } }, 400, 'INVALID_REQUEST'],
      ['memberId as a number', { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: 5, generation: 1, offsets: [{ topic, partition: 0, offset: 1 }] } }, 400, 'INVALID_REQUEST'],
      ['reset to null', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: null } }, 400, 'INVALID_REQUEST'],
      ['reset dryRun as a string', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: 'latest', dryRun: 'yes' } }, 400, 'INVALID_REQUEST'],
      ['reset to a negative offset', { method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: { offset: -1 } } }, 400, 'INVALID_REQUEST'],
      ['group name percent-encoding a slash', { method: 'GET', path: '/v1/groups/a%2Fb' }, 400, 'INVALID_REQUEST'],
      ['member id with unicode', { method: 'DELETE', path: `/v1/groups/${group}/members/%C3%A9` }, 400, 'INVALID_REQUEST'],
    ];
    for (const [name, request, status, code] of cases) {
      const response = await brook.call(request);
      expect([response.status, response.body?.error?.code], name).toEqual([status, code]);
    }
    // None of this touched the member.
    expect((await heartbeat(group, a.memberId, 1)).body).toMatchObject({ generation: 1, assignment: [{ topic, partitions: [0] }] });
  });
});

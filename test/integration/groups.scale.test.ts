/**
 * Scale: a group of 100 members over a topic of 1,000 partitions, on
 * DynamoDB Local. Every member ends with 10 partitions, and a heartbeat
 * writes one small item whatever the size of the group.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JoinResult } from '../../functions/groups/GroupCoordinator.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { requestCounts, resetRequestCounts } from '../../functions/storage/requestMeter.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { createTestConfig } from '../helpers/testConfig.js';

const MEMBERS = 100;
const PARTITIONS = 1000;
let clock = Date.now();
let brook: BrookUnderTest;

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig(), { groups: { now: () => clock } });
  expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: 'wide', partitions: PARTITIONS } })).status).toBe(201);
});

describe('consumer groups: scale', () => {
  it(`balances ${PARTITIONS} partitions over ${MEMBERS} members, with heartbeats that write one item`, async () => {
    const groups = brook.groups;
    const started = performance.now();
    const members: (JoinResult & { generation: number })[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      members.push(await groups.join('wide-group', { topics: ['wide'], sessionTimeoutMs: 60_000, clientId: `c${i}` }));
      clock += 10;
    }
    const joinedMs = performance.now() - started;

    // Heartbeat rounds until every hand-over is done.
    let rounds = 0;
    let settled = false;
    while (!settled && rounds < 10) {
      rounds++;
      settled = true;
      for (const member of members) {
        const beat = await groups.heartbeat('wide-group', member.memberId, member.generation);
        member.generation = beat.generation;
        member.assignment = beat.assignment;
        if (beat.rebalancing) settled = false;
      }
      clock += 1000;
    }
    expect(settled).toBe(true);
    const sizes = members.map((m) => m.assignment.reduce((sum, entry) => sum + entry.partitions.length, 0));
    expect(Math.min(...sizes)).toBe(PARTITIONS / MEMBERS);
    expect(Math.max(...sizes)).toBe(PARTITIONS / MEMBERS);
    expect(new Set(members.flatMap((m) => m.assignment[0]!.partitions)).size).toBe(PARTITIONS);
    const described = await groups.describe('wide-group');
    expect(described.state).toBe('Stable');

    // A steady heartbeat: one write unit, and reads of the meta item and the 100 member items.
    resetRequestCounts();
    await groups.heartbeat('wide-group', members[0]!.memberId, members[0]!.generation);
    const heartbeat = requestCounts();
    expect(heartbeat.dynamoDbWriteUnits).toBe(1);
    expect(heartbeat.dynamoDbRequests).toBe(2);

    // A commit of a member's 10 partitions (at their high watermark, 0: nothing produced): the member read, and at
    // the same time the topic and the partitions' HEAD items (one BatchGetItem), then one write unit per partition.
    resetRequestCounts();
    await groups.commit('wide-group', {
      memberId: members[0]!.memberId,
      generation: members[0]!.generation,
      offsets: members[0]!.assignment[0]!.partitions.map((partition) => ({ topic: 'wide', partition, offset: 0 })),
    });
    const commit = requestCounts();
    expect(commit.dynamoDbWriteUnits).toBe(10);
    expect(commit.dynamoDbRequests).toBe(2 + 10);

    const meta = await createDocumentClient(brook.config).send(
      new GetCommand({ TableName: brook.config.tables.groups, Key: { pk: 'wide-group', sk: 'meta' }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    const metaBytes = (meta.Item!.plan as Uint8Array).length;
    console.log(
      `scale: ${MEMBERS} joins in ${Math.round(joinedMs)} ms, settled after ${rounds} heartbeat rounds (${Math.round(performance.now() - started)} ms in all); ` +
        `meta plan ${metaBytes} bytes gzipped; steady heartbeat ${JSON.stringify(heartbeat)}; commit of 10 ${JSON.stringify(commit)}`,
    );
    expect(metaBytes).toBeLessThan(16 * 1024);
  }, 120_000);
});

/**
 * The access matrix: principals x routes x resources, through the real
 * handlers on DynamoDB Local. Each cell's expected answer comes from the
 * contract's rules (docs/http.md, "Rights per route"), written out below as two
 * tables: what each principal may do on each concrete resource, and what each
 * route needs. Nothing here calls the server's permission code. A cell is
 * either 403 FORBIDDEN or not; a refused request that would change something
 * must leave topics, records, groups, offsets and keys as they were.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ROUTE_KEYS, routeKey, ROUTES } from '../../functions/layout/routes.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import type { Operation, Permission } from '../../protocol/types.js';
import type { ApiRequest } from '../helpers/apiEvent.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { createTestConfig } from '../helpers/testConfig.js';

type PrincipalName = 'admin' | 'reader' | 'writer' | 'groupReader' | 'describer' | 'nobody';

/** The permissions each principal's key is created with (POST /v1/keys). */
const GRANTS: Record<PrincipalName, Permission[]> = {
  admin: [{ resource: 'cluster', operations: ['admin'] }],
  reader: [{ resource: 'topic:orders', operations: ['read'] }],
  writer: [{ resource: 'topic:ord*', operations: ['write'] }],
  groupReader: [
    { resource: 'group:app-*', operations: ['read'] },
    { resource: 'topic:orders', operations: ['read'] },
  ],
  describer: [{ resource: 'cluster', operations: ['describe'] }],
  nobody: [],
};

/**
 * The resources of each case: a name the grants match exactly, one that only
 * a prefix matches, and one nothing but `cluster` matches.
 */
const CASES = {
  exact: { topic: 'orders', group: 'app-1' },
  prefix: { topic: 'ordinal', group: 'app-2' },
  other: { topic: 'payments', group: 'billing' },
} as const;
type CaseName = keyof typeof CASES;

const ALL: Operation[] = ['read', 'write', 'describe', 'admin'];
const READ: Operation[] = ['read', 'describe']; // read includes describe
const WRITE: Operation[] = ['write', 'describe']; // write includes describe

/**
 * What each principal may do on each concrete resource, worked out by hand
 * from its grants and the contract's rules (`cluster` covers everything,
 * `x*` is a prefix, `admin` includes every operation, `read`/`write` include
 * `describe`). A missing entry: nothing.
 */
const RIGHTS: Record<PrincipalName, Record<string, Operation[]>> = {
  admin: {
    cluster: ALL,
    'topic:orders': ALL,
    'topic:ordinal': ALL,
    'topic:payments': ALL,
    'group:app-1': ALL,
    'group:app-2': ALL,
    'group:billing': ALL,
  },
  reader: { 'topic:orders': READ },
  writer: { 'topic:orders': WRITE, 'topic:ordinal': WRITE },
  groupReader: { 'group:app-1': READ, 'group:app-2': READ, 'topic:orders': READ },
  describer: {
    cluster: ['describe'],
    'topic:orders': ['describe'],
    'topic:ordinal': ['describe'],
    'topic:payments': ['describe'],
    'group:app-1': ['describe'],
    'group:app-2': ['describe'],
    'group:billing': ['describe'],
  },
  nobody: {},
};

const UNKNOWN_MEMBER = 'm-0000000000000000';

interface Cell {
  /** The request for a case. */
  request(c: { topic: string; group: string }, victimKeyId: string): ApiRequest;
  /** The rights it needs, as `[resource, operation]`; empty: any valid key (lists are filtered instead). */
  needs(c: { topic: string; group: string }): [string, Operation][];
}

/** The routes that take a key: all but PUBLIC_ROUTE_KEYS (health, the console's files). */
const GUARDED_ROUTE_KEYS = ROUTES.map(routeKey).filter((key) => !PUBLIC_ROUTE_KEYS.includes(key));

/** What each route of ROUTES needs (docs/http.md: "Rights per route"), with a valid request for it. */
const ROUTE_TABLE: Record<string, Cell> = {
  'POST /v1/topics': {
    request: ({ topic }) => ({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 1 } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'GET /v1/topics': { request: () => ({ method: 'GET', path: '/v1/topics' }), needs: () => [] },
  'GET /v1/topics/{topic}': {
    request: ({ topic }) => ({ method: 'GET', path: `/v1/topics/${topic}` }),
    needs: ({ topic }) => [[`topic:${topic}`, 'describe']],
  },
  'PATCH /v1/topics/{topic}': {
    request: ({ topic }) => ({ method: 'PATCH', path: `/v1/topics/${topic}`, body: { config: { retentionMs: 3_600_000 } } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'DELETE /v1/topics/{topic}': {
    request: ({ topic }) => ({ method: 'DELETE', path: `/v1/topics/${topic}` }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'POST /v1/topics/{topic}/records': {
    request: ({ topic }) => ({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ key: 'k', value: 'matrix' }] } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'write']],
  },
  'POST /v1/producers': { request: () => ({ method: 'POST', path: '/v1/producers' }), needs: () => [] },
  // A transaction writes the topic and commits for a member of the group: what a produce and a commit each need.
  'POST /v1/transactions': {
    request: ({ group, topic }) => ({
      method: 'POST',
      path: '/v1/transactions',
      body: { records: [{ topic, key: 'k', value: 'matrix' }], offsets: { group, memberId: UNKNOWN_MEMBER, generation: 1, offsets: [{ topic, partition: 0, offset: 0 }] } },
    }),
    needs: ({ group, topic }) => [
      [`topic:${topic}`, 'write'],
      [`group:${group}`, 'read'],
      [`topic:${topic}`, 'read'],
    ],
  },
  'GET /v1/topics/{topic}/partitions/{partition}/records': {
    request: ({ topic }) => ({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0' } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'read']],
  },
  'POST /v1/fetch': {
    request: ({ topic }) => ({ method: 'POST', path: '/v1/fetch', body: { topics: [{ topic, partitions: [{ partition: 0, offset: 0 }] }] } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'read']],
  },
  'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
    request: ({ topic }) => ({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/offsets`, query: { at: 'earliest' } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'read']],
  },
  'GET /v1/groups': { request: () => ({ method: 'GET', path: '/v1/groups' }), needs: () => [] },
  'GET /v1/groups/{group}': {
    request: ({ group }) => ({ method: 'GET', path: `/v1/groups/${group}` }),
    needs: ({ group }) => [[`group:${group}`, 'describe']],
  },
  'DELETE /v1/groups/{group}': {
    request: ({ group }) => ({ method: 'DELETE', path: `/v1/groups/${group}` }),
    needs: ({ group }) => [[`group:${group}`, 'admin']],
  },
  'POST /v1/groups/{group}/members': {
    request: ({ group, topic }) => ({ method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic] } }),
    needs: ({ group, topic }) => [
      [`group:${group}`, 'read'],
      [`topic:${topic}`, 'read'],
    ],
  },
  'POST /v1/groups/{group}/members/{memberId}/heartbeat': {
    request: ({ group }) => ({ method: 'POST', path: `/v1/groups/${group}/members/${UNKNOWN_MEMBER}/heartbeat`, body: { generation: 1 } }),
    needs: ({ group }) => [[`group:${group}`, 'read']],
  },
  'DELETE /v1/groups/{group}/members/{memberId}': {
    request: ({ group }) => ({ method: 'DELETE', path: `/v1/groups/${group}/members/${UNKNOWN_MEMBER}` }),
    needs: ({ group }) => [[`group:${group}`, 'read']],
  },
  'POST /v1/groups/{group}/offsets': {
    request: ({ group, topic }) => ({ method: 'POST', path: `/v1/groups/${group}/offsets`, body: { offsets: [{ topic, partition: 0, offset: 0 }] } }),
    needs: ({ group, topic }) => [
      [`group:${group}`, 'read'],
      [`topic:${topic}`, 'read'],
    ],
  },
  // Reading a group's offsets is a description of the group (the same offsets GET /v1/groups/{group} shows).
  'GET /v1/groups/{group}/offsets': {
    request: ({ group }) => ({ method: 'GET', path: `/v1/groups/${group}/offsets` }),
    needs: ({ group }) => [[`group:${group}`, 'describe']],
  },
  'POST /v1/groups/{group}/offsets/reset': {
    request: ({ group, topic }) => ({ method: 'POST', path: `/v1/groups/${group}/offsets/reset`, body: { topic, to: 'latest' } }),
    needs: ({ group }) => [[`group:${group}`, 'admin']],
  },
  // A subscription's rights are its topic's: each case has one, `sub-<topic>`, made in beforeAll.
  'POST /v1/subscriptions': {
    request: ({ topic }) => ({ method: 'POST', path: '/v1/subscriptions', body: { name: `new-${topic}`, topic, target: { type: 'http', url: 'http://127.0.0.1:9/hook' } } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'GET /v1/subscriptions': { request: () => ({ method: 'GET', path: '/v1/subscriptions' }), needs: () => [] },
  'GET /v1/subscriptions/{name}': {
    request: ({ topic }) => ({ method: 'GET', path: `/v1/subscriptions/sub-${topic}` }),
    needs: ({ topic }) => [[`topic:${topic}`, 'describe']],
  },
  'PATCH /v1/subscriptions/{name}': {
    request: ({ topic }) => ({ method: 'PATCH', path: `/v1/subscriptions/sub-${topic}`, body: { batchSize: 5 } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'POST /v1/subscriptions/{name}/reset': {
    request: ({ topic }) => ({ method: 'POST', path: `/v1/subscriptions/sub-${topic}/reset`, body: { to: 'latest' } }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'DELETE /v1/subscriptions/{name}': {
    request: ({ topic }) => ({ method: 'DELETE', path: `/v1/subscriptions/sub-${topic}` }),
    needs: ({ topic }) => [[`topic:${topic}`, 'admin']],
  },
  'POST /v1/keys': {
    request: () => ({ method: 'POST', path: '/v1/keys', body: { principal: 'made-in-the-matrix', permissions: [{ resource: 'cluster', operations: ['admin'] }] } }),
    needs: () => [['cluster', 'admin']],
  },
  'GET /v1/keys': { request: () => ({ method: 'GET', path: '/v1/keys' }), needs: () => [['cluster', 'admin']] },
  'DELETE /v1/keys/{keyId}': {
    request: (_c, victimKeyId) => ({ method: 'DELETE', path: `/v1/keys/${victimKeyId}` }),
    needs: () => [['cluster', 'admin']],
  },
};

function expectedAllowed(principal: PrincipalName, needs: [string, Operation][]): boolean {
  return needs.every(([resource, operation]) => RIGHTS[principal][resource]?.includes(operation) ?? false);
}

let brook: BrookUnderTest;
const secrets = {} as Record<PrincipalName, string>;
let victim: { keyId: string; secret: string };
let doc: DynamoDBDocumentClient;

/** Everything a refused request must not change: every item of every table (topics, records, groups, offsets, subscriptions, keys). */
async function snapshot(): Promise<string> {
  const tables = Object.values(brook.config.tables);
  const contents = await Promise.all(
    tables.map(async (table) => {
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
        items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
        start = page.LastEvaluatedKey;
      } while (start);
      return items.sort();
    }),
  );
  return JSON.stringify(contents);
}

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig());
  doc = createDocumentClient(brook.config);
  const ok = async (request: ApiRequest, status: number) => {
    const response = await brook.call(request);
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).toBe(status);
    return response.body;
  };
  for (const [name, permissions] of Object.entries(GRANTS) as [PrincipalName, Permission[]][]) {
    secrets[name] = (await ok({ method: 'POST', path: '/v1/keys', body: { principal: `matrix-${name}`, permissions } }, 201)).secret;
  }
  victim = await ok({ method: 'POST', path: '/v1/keys', body: { principal: 'matrix-victim', permissions: [] } }, 201);
  // Data worth protecting: each topic has a record, each group a committed offset.
  for (const { topic, group } of Object.values(CASES)) {
    await ok({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 1 } }, 201);
    await ok({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value: 'seed' }] } }, 200);
    await ok({ method: 'POST', path: `/v1/groups/${group}/offsets`, body: { offsets: [{ topic, partition: 0, offset: 1 }] } }, 204);
    await ok({ method: 'POST', path: '/v1/subscriptions', body: { name: `sub-${topic}`, topic, target: { type: 'http', url: 'http://127.0.0.1:9/hook' } } }, 201);
  }
});

describe('access matrix: principals x routes x resources', () => {
  it('covers every route but the public ones (health, the console)', () => {
    expect(Object.keys(ROUTE_TABLE).sort()).toEqual(GUARDED_ROUTE_KEYS.slice().sort());
  });

  it('answers 403 FORBIDDEN exactly where the contract refuses, and a refused request changes nothing', { timeout: 90_000 }, async () => {
    // The admin goes last, so that what it deletes or revokes is still there to be protected in the other cells.
    const principals: PrincipalName[] = ['nobody', 'describer', 'reader', 'writer', 'groupReader', 'admin'];
    const mismatches: string[] = [];
    let cells = 0;
    let refused = 0;
    let current: string | undefined;
    for (const principal of principals) {
      for (const key of GUARDED_ROUTE_KEYS) {
        for (const [caseName, resources] of Object.entries(CASES) as [CaseName, (typeof CASES)[CaseName]][]) {
          const cell = ROUTE_TABLE[key]!;
          const request = cell.request(resources, victim.keyId);
          const allowed = expectedAllowed(principal, cell.needs(resources));
          const where = `${principal} ${key} [${caseName}]`;
          const changes = request.method !== 'GET';
          // The state after the last refused write is still current unless an allowed request came between.
          const before = !allowed && changes ? (current ??= await snapshot()) : undefined;
          const response = await brook.call({ ...request, apiKey: secrets[principal] });
          cells++;
          if (allowed) current = undefined;
          if (response.status >= 500 || response.status === 401) {
            mismatches.push(`${where}: ${response.status} ${JSON.stringify(response.body)}`);
          } else if (allowed && response.status === 403) {
            mismatches.push(`${where}: refused, but the contract allows it`);
          } else if (!allowed && (response.status !== 403 || response.body?.error?.code !== 'FORBIDDEN')) {
            mismatches.push(`${where}: ${response.status} ${JSON.stringify(response.body)}, but the contract refuses it`);
          } else if (before !== undefined) {
            refused++;
            current = await snapshot();
            if (current !== before) mismatches.push(`${where}: refused, but the data changed`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(6 * GUARDED_ROUTE_KEYS.length * 3);
    expect(refused).toBeGreaterThan(100); // the data check really ran
    // The victim key survived every refused revoke, then the admin revoked it.
    expect((await brook.call({ method: 'GET', path: '/v1/topics', apiKey: victim.secret })).status).toBe(401);
  });
});

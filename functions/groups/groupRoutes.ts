import * as z from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import { isValidGroupName } from '../../protocol/names.js';
import { defineRoute, type RouteSpec } from '../http/httpHandler.js';
import { countMetric } from '../http/metrics.js';
import { noContent, ok } from '../http/response.js';
import { MAX_PARTITIONS, topicNameSchema } from '../topics/topicConfig.js';
import { MAX_METADATA_LENGTH, SESSION_TIMEOUT, type CommitInput, type CommitReads, type GroupCoordinator } from './GroupCoordinator.js';
import type { GroupSnapshot } from './GroupStore.js';

/** Member ids are made by the coordinator (`m-` and 16 hex digits); anything else of this shape is just unknown. */
export const MEMBER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Static membership ids: the characters of group names. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;
/** Topics one member may subscribe to. */
export const MAX_MEMBER_TOPICS = 100;
/** Partitions one commit may carry. */
export const MAX_COMMIT_OFFSETS = 10_000;

export const memberIdSchema = z.string().regex(MEMBER_ID_PATTERN, 'a member id from a join');
const partitionSchema = z.int().min(0).max(MAX_PARTITIONS - 1);
const offsetSchema = z.int().min(0);

export const joinBodySchema = z.strictObject({
  topics: z.array(topicNameSchema).min(1, 'at least one topic').max(MAX_MEMBER_TOPICS),
  sessionTimeoutMs: z.int().min(SESSION_TIMEOUT.min).max(SESSION_TIMEOUT.max).optional(),
  clientId: z.string().max(255).optional(),
  instanceId: z.string().regex(INSTANCE_ID_PATTERN, 'an instance id is 1 to 255 of [A-Za-z0-9._-]').optional(),
});

export const heartbeatBodySchema = z.strictObject({
  generation: z.int().min(0),
});

/** The offsets of a commit (also carried by a transaction). */
export const commitOffsetsSchema = z
  .array(
    z.strictObject({
      topic: topicNameSchema,
      partition: partitionSchema,
      offset: offsetSchema,
      metadata: z.string().max(MAX_METADATA_LENGTH).nullable().optional(),
    }),
  )
  .min(1, 'at least one offset')
  .max(MAX_COMMIT_OFFSETS)
  // One write per partition (a transaction may not name an item twice either).
  .superRefine((offsets, context) => {
    const seen = new Set<string>();
    offsets.forEach(({ topic, partition }, i) => {
      const key = `${topic}#${partition}`;
      if (seen.has(key)) context.addIssue({ code: 'custom', path: [i], message: `${topic}/${partition} appears twice` });
      seen.add(key);
    });
  });

export const commitBodySchema = z
  .strictObject({
    memberId: memberIdSchema.optional(),
    generation: z.int().min(0).optional(),
    offsets: commitOffsetsSchema,
  })
  .superRefine((body, context) => {
    if (body.memberId !== undefined && body.generation === undefined) {
      context.addIssue({ code: 'custom', path: ['generation'], message: 'required with memberId' });
    }
  });

export const resetBodySchema = z.strictObject({
  topic: topicNameSchema,
  partitions: z.array(partitionSchema).min(1).optional(),
  to: z.union([
    z.enum(['earliest', 'latest']),
    z.strictObject({ timestamp: z.int().min(0) }),
    z.strictObject({ offset: offsetSchema }),
    z.strictObject({ shiftBy: z.int() }),
  ]),
  dryRun: z.boolean().optional(),
});

/** A bad topic name is INVALID_TOPIC, a bad offset INVALID_OFFSET, anything else INVALID_REQUEST. */
export function groupBodyErrorCode(path: readonly PropertyKey[]): ErrorCode {
  const last = path.at(-1);
  if (last === 'topic' || (path[0] === 'topics' && path.length === 2)) return 'INVALID_TOPIC';
  if (last === 'offset' && path[0] === 'offsets') return 'INVALID_OFFSET';
  return 'INVALID_REQUEST';
}

/** The `{group}` path parameter: a bad name is 400 INVALID_REQUEST (the contract has no INVALID_GROUP). */
export function groupParam(params: Readonly<Record<string, string>>): string {
  const name = params.group;
  if (!isValidGroupName(name)) {
    throw new BrookError('INVALID_REQUEST', `invalid group name "${String(name).slice(0, 300)}": a group name is 1 to 255 of [A-Za-z0-9._-], and not "." or ".."`);
  }
  return name;
}

function memberParam(params: Readonly<Record<string, string>>): string {
  const id = params.memberId;
  if (typeof id !== 'string' || !MEMBER_ID_PATTERN.test(id)) {
    throw new BrookError('INVALID_REQUEST', `invalid member id "${String(id).slice(0, 80)}"`);
  }
  return id;
}

/** `/v1/groups` routes (docs/http.md, Consumer groups): parse, check rights, call the coordinator. */
/** A commit's body as the coordinator takes it. */
export function commitInputOf(body: z.infer<typeof commitBodySchema>): CommitInput {
  return {
    ...(body.memberId !== undefined ? { memberId: body.memberId } : {}),
    ...(body.generation !== undefined ? { generation: body.generation } : {}),
    offsets: body.offsets.map(({ topic, partition, offset, metadata }) => ({
      topic,
      partition,
      offset,
      ...(metadata !== undefined && metadata !== null ? { metadata } : {}),
    })),
  };
}

export function groupRoutes(groups: GroupCoordinator): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/groups/{group}/members': defineRoute({
      body: joinBodySchema,
      invalidBodyCode: groupBodyErrorCode,
      async handle({ params, body, authorize }) {
        const group = groupParam(params);
        authorize({ type: 'group', name: group }, 'read');
        for (const topic of body.topics) authorize({ type: 'topic', name: topic }, 'read');
        const joined = await groups.join(group, body);
        countMetric('rebalances', 1);
        return ok(joined);
      },
    }),
    'POST /v1/groups/{group}/members/{memberId}/heartbeat': defineRoute({
      body: heartbeatBodySchema,
      // The group's members are read while the key is looked up.
      prefetch: ({ params }) => groups.readForHeartbeat(groupParam(params)),
      async handle({ params, body, authorize, prefetched }) {
        const group = groupParam(params);
        const memberId = memberParam(params);
        authorize({ type: 'group', name: group }, 'read');
        return ok(await groups.heartbeat(group, memberId, body.generation, (await prefetched) as GroupSnapshot));
      },
    }),
    'DELETE /v1/groups/{group}/members/{memberId}': defineRoute({
      async handle({ params, authorize }) {
        const group = groupParam(params);
        const memberId = memberParam(params);
        authorize({ type: 'group', name: group }, 'read');
        await groups.leave(group, memberId);
        countMetric('rebalances', 1);
        return noContent();
      },
    }),
    'POST /v1/groups/{group}/offsets': defineRoute({
      body: commitBodySchema,
      invalidBodyCode: groupBodyErrorCode,
      // A member's commit reads its member item and the high watermarks while the key is looked up.
      prefetch: ({ params, body }) => groups.readForCommit(groupParam(params), commitInputOf(body as z.infer<typeof commitBodySchema>)),
      async handle({ params, body, authorize, prefetched }) {
        const group = groupParam(params);
        authorize({ type: 'group', name: group }, 'read');
        for (const topic of new Set(body.offsets.map((entry) => entry.topic))) authorize({ type: 'topic', name: topic }, 'read');
        await groups.commit(group, commitInputOf(body), (await prefetched) as CommitReads | undefined);
        countMetric('commits', 1);
        return noContent();
      },
    }),
    'GET /v1/groups/{group}/offsets': defineRoute({
      async handle({ params, authorize, can }) {
        const group = groupParam(params);
        authorize({ type: 'group', name: group }, 'describe');
        const offsets = await groups.offsets(group);
        return ok({ offsets: offsets.filter(({ topic }) => can({ type: 'topic', name: topic }, 'describe')) });
      },
    }),
    'POST /v1/groups/{group}/offsets/reset': defineRoute({
      body: resetBodySchema,
      invalidBodyCode: groupBodyErrorCode,
      async handle({ params, body, authorize }) {
        const group = groupParam(params);
        // An offset reset needs `admin` on the group (or cluster), nothing more (docs/http.md, "Rights per route").
        authorize({ type: 'group', name: group }, 'admin');
        const offsets = await groups.resetOffsets(group, {
          topic: body.topic,
          to: body.to,
          ...(body.partitions !== undefined ? { partitions: body.partitions } : {}),
          ...(body.dryRun !== undefined ? { dryRun: body.dryRun } : {}),
        });
        return ok({ offsets });
      },
    }),
    'GET /v1/groups': defineRoute({
      async handle({ can }) {
        const all = await groups.list();
        // As for topics: a listing shows only the groups the key may describe.
        return ok({ groups: all.filter(({ group }) => can({ type: 'group', name: group }, 'describe')) });
      },
    }),
    'GET /v1/groups/{group}': defineRoute({
      async handle({ params, authorize, can }) {
        const group = groupParam(params);
        authorize({ type: 'group', name: group }, 'describe');
        const description = await groups.describe(group);
        return ok({ ...description, offsets: description.offsets.filter(({ topic }) => can({ type: 'topic', name: topic }, 'describe')) });
      },
    }),
    'DELETE /v1/groups/{group}': defineRoute({
      async handle({ params, authorize }) {
        const group = groupParam(params);
        authorize({ type: 'group', name: group }, 'admin');
        await groups.delete(group);
        return noContent();
      },
    }),
  };
}

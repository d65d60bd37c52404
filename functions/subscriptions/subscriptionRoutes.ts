import * as z from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import { isValidGroupName } from '../../protocol/names.js';
import { defineRoute, type RouteSpec } from '../http/httpHandler.js';
import { noContent, ok } from '../http/response.js';
import { encodingSchema } from '../log/recordSchemas.js';
import { MAX_PARTITIONS, topicNameSchema } from '../topics/topicConfig.js';
import type { SubscriptionAdmin } from './SubscriptionAdmin.js';

/** Limits of a subscription's settings (docs/http.md, Subscriptions). */
export const SUBSCRIPTION_LIMITS = {
  maxBatchSize: 10_000,
  maxBatchingWindowMs: 300_000,
  maxRetries: 10_000,
  minRecordAgeMs: 60_000,
} as const;

/** Subscription names follow the group rule. */
const nameSchema = z.string().refine(isValidGroupName, 'a subscription name is 1 to 255 of [A-Za-z0-9._-], and not "." or ".."');

const settingsShape = {
  batchSize: z.int().min(1).max(SUBSCRIPTION_LIMITS.maxBatchSize).optional(),
  maxBatchingWindowMs: z.int().min(0).max(SUBSCRIPTION_LIMITS.maxBatchingWindowMs).optional(),
  maxRetries: z.int().min(-1).max(SUBSCRIPTION_LIMITS.maxRetries).optional(),
  maxRecordAgeMs: z
    .int()
    .refine((value) => value === -1 || value >= SUBSCRIPTION_LIMITS.minRecordAgeMs, `-1 (no limit) or at least ${SUBSCRIPTION_LIMITS.minRecordAgeMs}`)
    .optional(),
  onFailure: z.strictObject({ topic: topicNameSchema }).nullable().optional(),
};

const targetSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('http'), url: z.string().min(1).max(2048) }),
  z.strictObject({ type: z.literal('lambda'), functionArn: z.string().min(1).max(256) }),
]);

export const createSubscriptionSchema = z.strictObject({
  name: nameSchema,
  topic: topicNameSchema,
  target: targetSchema,
  startAt: z.union([z.enum(['earliest', 'latest']), z.strictObject({ timestamp: z.int().min(0) })]).optional(),
  encoding: encodingSchema.optional(),
  ...settingsShape,
});

export const alterSubscriptionSchema = z.strictObject({
  state: z.enum(['active', 'paused']).optional(),
  ...settingsShape,
});

const partitionSchema = z.int().min(0).max(MAX_PARTITIONS - 1);

export const resetSubscriptionSchema = z.strictObject({
  to: z.union([z.enum(['earliest', 'latest']), z.strictObject({ timestamp: z.int().min(0) }), z.strictObject({ offset: z.int().min(0) })]),
  partitions: z.array(partitionSchema).min(1).max(MAX_PARTITIONS).optional(),
});

/** A bad topic name is INVALID_TOPIC, a bad offset INVALID_OFFSET, anything else INVALID_REQUEST. */
function subscriptionBodyErrorCode(path: readonly PropertyKey[]): ErrorCode {
  if (path.at(-1) === 'topic') return 'INVALID_TOPIC';
  if (path[0] === 'to' && path.at(-1) === 'offset') return 'INVALID_OFFSET';
  return 'INVALID_REQUEST';
}

function nameParam(params: Readonly<Record<string, string>>): string {
  const name = params.name;
  if (!isValidGroupName(name)) {
    throw new BrookError('INVALID_REQUEST', `invalid subscription name "${String(name).slice(0, 300)}": a name is 1 to 255 of [A-Za-z0-9._-], and not "." or ".."`);
  }
  return name;
}

/**
 * `/v1/subscriptions` routes (docs/http.md, Subscriptions). Rights are the
 * topic's: create, alter, reset and delete need `admin` on it (and parking
 * needs `write` on the `onFailure` topic); get and list need `describe`.
 */
export function subscriptionRoutes(subscriptions: SubscriptionAdmin): Record<string, RouteSpec<unknown, unknown>> {
  /** The subscription's topic, for the rights check (404 when there is no such subscription). */
  const topicOf = async (name: string) => (await subscriptions.describeSettings(name)).topic;
  return {
    'POST /v1/subscriptions': defineRoute({
      body: createSubscriptionSchema,
      invalidBodyCode: subscriptionBodyErrorCode,
      async handle({ body, authorize }) {
        authorize({ type: 'topic', name: body.topic }, 'admin');
        if (body.onFailure) authorize({ type: 'topic', name: body.onFailure.topic }, 'write');
        const { onFailure, ...rest } = body;
        return ok(await subscriptions.create({ ...rest, ...(onFailure ? { onFailure } : {}) }), 201);
      },
    }),
    'GET /v1/subscriptions': defineRoute({
      async handle({ can }) {
        const all = await subscriptions.list();
        return ok({ subscriptions: all.filter(({ topic }) => can({ type: 'topic', name: topic }, 'describe')) });
      },
    }),
    'GET /v1/subscriptions/{name}': defineRoute({
      async handle({ params, authorize }) {
        const name = nameParam(params);
        const description = await subscriptions.describe(name);
        authorize({ type: 'topic', name: description.topic }, 'describe');
        return ok(description);
      },
    }),
    'PATCH /v1/subscriptions/{name}': defineRoute({
      body: alterSubscriptionSchema,
      invalidBodyCode: subscriptionBodyErrorCode,
      async handle({ params, body, authorize }) {
        const name = nameParam(params);
        authorize({ type: 'topic', name: await topicOf(name) }, 'admin');
        if (body.onFailure) authorize({ type: 'topic', name: body.onFailure.topic }, 'write');
        return ok(await subscriptions.alter(name, body));
      },
    }),
    'POST /v1/subscriptions/{name}/reset': defineRoute({
      body: resetSubscriptionSchema,
      invalidBodyCode: subscriptionBodyErrorCode,
      async handle({ params, body, authorize }) {
        const name = nameParam(params);
        authorize({ type: 'topic', name: await topicOf(name) }, 'admin');
        return ok(await subscriptions.reset(name, body));
      },
    }),
    'DELETE /v1/subscriptions/{name}': defineRoute({
      async handle({ params, authorize }) {
        const name = nameParam(params);
        authorize({ type: 'topic', name: await topicOf(name) }, 'admin');
        await subscriptions.delete(name);
        return noContent();
      },
    }),
  };
}

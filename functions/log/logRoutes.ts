import * as z from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import { FETCH_LIMITS, MAX_WAIT_MS } from '../../protocol/limits.js';
import { isValidTopicName, PARTITION_NUMBER_PATTERN } from '../../protocol/names.js';
import { RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';
import { defineRoute, type RouteInput, type RouteSpec } from '../http/httpHandler.js';
import { countFetched, countProduced } from '../http/metrics.js';
import { header } from '../http/middleware.js';
import { ok } from '../http/response.js';
import { partitionParam, topicParam } from '../http/params.js';
import { parseWith } from '../http/validation.js';
import { checkPartition, topicNotFound, type Topic, type TopicRegistry } from '../topics/TopicRegistry.js';
import type { FetchService, PartitionFetch } from './FetchService.js';
import type { PartitionLog } from './PartitionLog.js';
import type { ProduceService } from './ProduceService.js';
import { isValidProducerId, MAX_PRODUCER_EPOCH, type ProducerRegistry } from './ProducerRegistry.js';
import { fromJsonRecord } from './recordJson.js';
import { encodingSchema, jsonRecordSchema } from './recordSchemas.js';

const MAX_SEQUENCE = 2 ** 31 - 1;

/** A query-string integer: digits only, no sign, no exponent. */
function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,16}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

const produceBodySchema = z.strictObject({
  encoding: encodingSchema.optional(),
  records: z.array(jsonRecordSchema).min(1, 'at least one record'),
  producer: z
    .strictObject({
      id: z.string().refine(isValidProducerId, 'a producer id from POST /v1/producers'),
      epoch: z.int().min(0).max(MAX_PRODUCER_EPOCH),
      sequences: z.record(z.string().regex(PARTITION_NUMBER_PATTERN, 'a partition number'), z.int().min(0).max(MAX_SEQUENCE)),
    })
    .optional(),
  expectedOffsets: z.record(z.string(), z.int().min(0)).optional(),
});

function produceErrorCode(path: readonly PropertyKey[]): ErrorCode {
  if (path[0] === 'records' && path.length > 1) return 'INVALID_RECORD';
  if (path[0] === 'expectedOffsets') return 'INVALID_OFFSET';
  return 'INVALID_REQUEST';
}

/** kafkajs sends `{"messages": [...]}`: point at the field this API takes, rather than at its validation output. */
function refuseKafkaMessages(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  if ('messages' in body && !('records' in body)) {
    throw new BrookError('INVALID_REQUEST', 'missing field records (this API calls them records, not messages)');
  }
}

const binaryProduceQuery = z.object({
  partition: queryInt(0, 999_999).optional(),
  expectedOffset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

const fetchQuery = z.object({
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
  maxRecords: queryInt(1, FETCH_LIMITS.maxMaxRecords).optional(),
  maxBytes: queryInt(1, FETCH_LIMITS.maxMaxBytes).optional(),
  waitMs: queryInt(0, MAX_WAIT_MS).optional(),
  encoding: encodingSchema.optional(),
});

function fetchQueryErrorCode(path: readonly PropertyKey[]): ErrorCode {
  return path[0] === 'offset' ? 'INVALID_OFFSET' : 'INVALID_REQUEST';
}

const multiFetchBodySchema = z.strictObject({
  topics: z
    .array(
      z.strictObject({
        topic: z.string(),
        partitions: z.array(z.strictObject({ partition: z.int().min(0), offset: z.int().min(0).optional() })).min(1),
      }),
    )
    .min(1),
  maxBytes: z.int().min(1).max(FETCH_LIMITS.maxMaxBytes).optional(),
  maxRecordsPerPartition: z.int().min(1).max(FETCH_LIMITS.maxMaxRecords).optional(),
  waitMs: z.int().min(0).max(MAX_WAIT_MS).optional(),
  encoding: encodingSchema.optional(),
});

function multiFetchErrorCode(path: readonly PropertyKey[]): ErrorCode {
  return path.at(-1) === 'offset' ? 'INVALID_OFFSET' : path.at(-1) === 'topic' ? 'INVALID_TOPIC' : 'INVALID_REQUEST';
}

const offsetsQuery = z.object({
  at: z.union([z.enum(['earliest', 'latest']), queryInt(0, Number.MAX_SAFE_INTEGER)]).optional(),
});

/** The `{topic}` of the path, once the caller is allowed `operation` on it (403 first, then 404). */
async function authorizedTopic(topics: TopicRegistry, input: RouteInput<unknown, unknown>, operation: 'read' | 'write'): Promise<Topic> {
  const name = topicParam(input.params);
  input.authorize({ type: 'topic', name }, operation);
  return topics.get(name);
}

/** `POST /v1/topics/{topic}/records` and `POST /v1/producers`. */
export function produceRoutes(deps: { topics: TopicRegistry; produce: ProduceService; producers: ProducerRegistry }): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/topics/{topic}/records': defineRoute({
      query: binaryProduceQuery,
      async handle(input) {
        const contentType = (header(input.event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (contentType === RECORD_BATCH_CONTENT_TYPE) {
          const query = input.query as z.infer<typeof binaryProduceQuery>;
          if (query.partition === undefined) throw new BrookError('INVALID_REQUEST', 'a binary batch needs ?partition=N');
          const topic = await authorizedTopic(deps.topics, input, 'write');
          const body = input.event.body ?? '';
          const bytes = new Uint8Array(Buffer.from(body, input.event.isBase64Encoded ? 'base64' : 'latin1'));
          const outcome = await deps.produce.produceBatch(topic, query.partition, bytes, query.expectedOffset);
          countProduced(outcome.results, bytes.length);
          return ok({ results: outcome.results }, outcome.status);
        }
        const name = topicParam(input.params);
        input.authorize({ type: 'topic', name }, 'write');
        if (input.jsonBody === undefined) throw new BrookError('INVALID_REQUEST', 'a JSON body is required');
        refuseKafkaMessages(input.jsonBody);
        const body = parseWith(produceBodySchema, input.jsonBody, produceErrorCode);
        const topic = await deps.topics.get(name);
        const encoding = body.encoding ?? 'utf8';
        const now = Date.now();
        const records = body.records.map((record, i) => ({
          record: fromJsonRecord(record, i, encoding, now),
          ...(record.partition !== undefined ? { partition: record.partition } : {}),
        }));
        const outcome = await deps.produce.produce(topic, records, {
          ...(body.producer ? { producer: body.producer } : {}),
          ...(body.expectedOffsets ? { expectedOffsets: body.expectedOffsets } : {}),
        });
        countProduced(outcome.results, Buffer.byteLength(input.event.body ?? '', input.event.isBase64Encoded ? 'base64' : 'utf8'));
        return ok({ results: outcome.results }, outcome.status);
      },
    }),
    'POST /v1/producers': defineRoute({
      body: z.strictObject({ id: z.string().refine(isValidProducerId, 'a decimal producer id').optional() }),
      bodyOptional: true,
      async handle({ body }) {
        return ok(await deps.producers.register(body.id));
      },
    }),
  };
}

/** Fetch one partition, fetch many, and offsets by time. */
export function fetchRoutes(deps: { topics: TopicRegistry; fetch: FetchService; log: PartitionLog }): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
      query: fetchQuery,
      invalidQueryCode: fetchQueryErrorCode,
      async handle(input) {
        const query = input.query as z.infer<typeof fetchQuery>;
        const topic = await authorizedTopic(deps.topics, input, 'read');
        const partition = partitionParam(input.params);
        const result = await deps.fetch.fetchOne(
          {
            topic,
            partition,
            maxRecords: query.maxRecords ?? FETCH_LIMITS.defaultMaxRecords,
            ...(query.offset !== undefined ? { offset: query.offset } : {}),
          },
          { maxBytes: query.maxBytes ?? FETCH_LIMITS.defaultMaxBytes, waitMs: query.waitMs ?? 0, encoding: query.encoding ?? 'utf8', signal: input.signal },
        );
        countFetched([result]);
        return ok(result);
      },
    }),
    'POST /v1/fetch': defineRoute({
      body: multiFetchBodySchema,
      invalidBodyCode: multiFetchErrorCode,
      async handle({ body, authorize, signal }) {
        for (const { topic } of body.topics) {
          if (!isValidTopicName(topic)) throw new BrookError('INVALID_TOPIC', `invalid topic name "${String(topic).slice(0, 300)}"`);
          authorize({ type: 'topic', name: topic }, 'read');
        }
        const maxRecords = body.maxRecordsPerPartition ?? FETCH_LIMITS.defaultMaxRecords;
        const found = new Map<string, Topic | undefined>();
        for (const { topic: name } of body.topics) if (!found.has(name)) found.set(name, await deps.topics.find(name));
        const requests: PartitionFetch[] = [];
        for (const { topic: name, partitions } of body.topics) {
          const topic = found.get(name);
          if (!topic) continue;
          for (const { partition, offset } of partitions) requests.push({ topic, partition, maxRecords, ...(offset !== undefined ? { offset } : {}) });
        }
        const fetched = await deps.fetch.fetchMany(requests, {
          maxBytes: body.maxBytes ?? FETCH_LIMITS.defaultMultiMaxBytes,
          waitMs: body.waitMs ?? 0,
          encoding: body.encoding ?? 'utf8',
          signal,
        });
        // Answer in request order, with a TOPIC_NOT_FOUND entry for each partition of a missing topic.
        let next = 0;
        const results = body.topics.flatMap(({ topic: name, partitions }) =>
          partitions.map(({ partition }) =>
            found.get(name)
              ? fetched[next++]!
              : { topic: name, partition, error: topicNotFound(name).toJSON().error },
          ),
        );
        countFetched(results);
        return ok({ results });
      },
    }),
    'GET /v1/topics/{topic}/partitions/{partition}/offsets': defineRoute({
      query: offsetsQuery,
      async handle(input) {
        const query = input.query as z.infer<typeof offsetsQuery>;
        const topic = await authorizedTopic(deps.topics, input, 'read');
        const partition = partitionParam(input.params);
        checkPartition(topic, partition);
        const at = query.at ?? 'latest';
        if (at === 'earliest' || at === 'latest') {
          const head = await deps.log.head(topic.topicId, partition);
          return ok({ offset: at === 'earliest' ? head.logStartOffset : head.highWatermark });
        }
        return ok({ offset: await deps.log.offsetForTimestamp(topic.topicId, partition, at) });
      },
    }),
  };
}

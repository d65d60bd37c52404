import * as z from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';
import { FETCH_LIMITS, MAX_WAIT_MS } from '../../protocol/limits.js';
import { isValidTopicName, PARTITION_NUMBER_PATTERN } from '../../protocol/names.js';
import { readBatchHeader, RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';
import { defineRoute, type PrefetchInput, type RouteInput, type RouteSpec } from '../http/httpHandler.js';
import { countFetched, countProduced } from '../http/metrics.js';
import { header } from '../http/middleware.js';
import { ok } from '../http/response.js';
import { partitionParam, topicParam } from '../http/params.js';
import { parseWith } from '../http/validation.js';
import { checkPartition, topicNotFound, type Topic } from '../topics/TopicRegistry.js';
import type { FetchService, PartitionFetch } from './FetchService.js';
import { offsetsOf } from './headState.js';
import type { PartitionHead, PartitionLog } from './PartitionLog.js';
import type { ProduceReads, ProduceService, RecordToProduce } from './ProduceService.js';
import { isValidProducerId, MAX_PRODUCER_EPOCH, type ProducerRegistry } from './ProducerRegistry.js';
import type { Snapshot, SnapshotReader } from './SnapshotReader.js';
import { fromJsonRecord } from './recordJson.js';
import { encodingSchema, jsonRecordSchema } from './recordSchemas.js';

const MAX_SEQUENCE = 2 ** 31 - 1;
/**
 * Reads before authorization are bounded, so that a caller with a bad key costs little:
 * a fetch of more topics or partitions than this reads them after authorization.
 */
const PREFETCH_MAX_TOPICS = 10;
const PREFETCH_MAX_PARTITIONS = 100;
/** A produce body larger than this is parsed after authorization, not while the key is looked up. */
const PREFETCH_MAX_BODY_BYTES = 1024 * 1024;

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

/** A produce request once parsed and read (`prefetch`), before anything is checked against what was read. */
type PreparedProduce =
  | { kind: 'json'; body: z.infer<typeof produceBodySchema>; records: RecordToProduce[]; reads: ProduceReads }
  | { kind: 'binary'; bytes: Uint8Array; partition: number; expectedOffset: number | undefined; reads: ProduceReads };

/** Parses a produce request (JSON records or a binary batch) and makes its reads. Refusals surface once the caller is authorized. */
async function readForProduce(produce: ProduceService, input: PrefetchInput<unknown, unknown>): Promise<PreparedProduce> {
  const name = topicParam(input.params);
  const contentType = (header(input.event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === RECORD_BATCH_CONTENT_TYPE) {
    const query = input.query as z.infer<typeof binaryProduceQuery>;
    if (query.partition === undefined) throw new BrookError('INVALID_REQUEST', 'a binary batch needs ?partition=N');
    const bytes = new Uint8Array(Buffer.from(input.event.body ?? '', input.event.isBase64Encoded ? 'base64' : 'latin1'));
    const reads = await produce.readFor(name, { partition: query.partition }, producerIdOf(bytes));
    return { kind: 'binary', bytes, partition: query.partition, expectedOffset: query.expectedOffset, reads };
  }
  if (input.jsonBody === undefined) throw new BrookError('INVALID_REQUEST', 'a JSON body is required');
  refuseKafkaMessages(input.jsonBody);
  const body = parseWith(produceBodySchema, input.jsonBody, produceErrorCode);
  const encoding = body.encoding ?? 'utf8';
  const now = Date.now();
  const records = body.records.map((record, i) => ({
    record: fromJsonRecord(record, i, encoding, now),
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
  }));
  return { kind: 'json', body, records, reads: await produce.readFor(name, { records }, body.producer?.id) };
}

/** The producer id in a binary batch's header, when it is an idempotent batch that reads as one (checked whole later). */
function producerIdOf(bytes: Uint8Array): string | undefined {
  try {
    const { producerId } = readBatchHeader(bytes);
    return producerId >= 0 ? String(producerId) : undefined;
  } catch {
    return undefined;
  }
}

/** `POST /v1/topics/{topic}/records` and `POST /v1/producers`. */
export function produceRoutes(deps: { produce: ProduceService; producers: ProducerRegistry }): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/topics/{topic}/records': defineRoute({
      query: binaryProduceQuery,
      // The key lookup, the topic, the partitions' HEADs and the producer's epoch: one round trip.
      // A large body is parsed only once the caller may write.
      prefetch: async (input) => ((input.event.body?.length ?? 0) > PREFETCH_MAX_BODY_BYTES ? undefined : readForProduce(deps.produce, input)),
      async handle(input) {
        const name = topicParam(input.params);
        input.authorize({ type: 'topic', name }, 'write');
        const prepared = ((await input.prefetched) as PreparedProduce | undefined) ?? (await readForProduce(deps.produce, input));
        if (prepared.kind === 'binary') {
          const outcome = await deps.produce.produceBatch(prepared.reads.topic, prepared.partition, prepared.bytes, prepared.expectedOffset, prepared.reads);
          countProduced(outcome.results, prepared.bytes.length);
          return ok({ results: outcome.results }, outcome.status);
        }
        const { body, records, reads } = prepared;
        const outcome = await deps.produce.produce(reads.topic, records, {
          ...(body.producer ? { producer: body.producer } : {}),
          ...(body.expectedOffsets ? { expectedOffsets: body.expectedOffsets } : {}),
          reads,
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

/** The topic of a read route's path with its partition's HEAD, as `prefetch` read them: 404 when the topic is missing. */
async function readTarget(
  log: PartitionLog,
  input: RouteInput<unknown, unknown>,
  name: string,
): Promise<{ topic: Topic; partition: number; head: PartitionHead }> {
  const snapshot = (await input.prefetched) as Snapshot;
  const found = snapshot.topics.get(name);
  if (!found) throw topicNotFound(name);
  const partition = partitionParam(input.params);
  checkPartition(found.topic, partition);
  const head = found.heads.get(partition);
  return { topic: found.topic, partition, head: head ? offsetsOf(head) : await log.head(found.topic.topicId, partition) };
}

/** Reads a path's topic and partition HEAD while the key is looked up (no HEAD for a partition that is not a number: `handle` says why). */
function readPathTarget(snapshots: SnapshotReader, params: Readonly<Record<string, string>>): Promise<Snapshot> {
  const name = topicParam(params);
  const partition = Number(params.partition);
  return snapshots.read([{ name, partitions: () => (PARTITION_NUMBER_PATTERN.test(params.partition ?? '') ? [partition] : []) }], { offsetsOnly: true });
}


/** The topics and partition HEADs a `POST /v1/fetch` names (valid topic names only: `handle` refuses the others). */
function readFetchTargets(snapshots: SnapshotReader, body: z.infer<typeof multiFetchBodySchema>): Promise<Snapshot> {
  const topics = body.topics.filter(({ topic }) => isValidTopicName(topic));
  return snapshots.read(
    topics.map(({ topic, partitions }) => ({ name: topic, partitions: () => partitions.map((p) => p.partition) })),
    // All HEADs at one instant: a transaction is seen on all of its partitions read here, or on none.
    { offsetsOnly: true, atomic: true },
  );
}

/** Fetch one partition, fetch many, and offsets by time. */
export function fetchRoutes(deps: { fetch: FetchService; log: PartitionLog; snapshots: SnapshotReader }): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
      query: fetchQuery,
      invalidQueryCode: fetchQueryErrorCode,
      // The key lookup, the topic and the partition's HEAD: one round trip; the records are the second.
      prefetch: ({ params }) => readPathTarget(deps.snapshots, params),
      async handle(input) {
        const query = input.query as z.infer<typeof fetchQuery>;
        const name = topicParam(input.params);
        input.authorize({ type: 'topic', name }, 'read');
        const { topic, partition, head } = await readTarget(deps.log, input, name);
        const result = await deps.fetch.fetchOne(
          {
            topic,
            partition,
            maxRecords: query.maxRecords ?? FETCH_LIMITS.defaultMaxRecords,
            knownHead: head,
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
      // Small fetches read their topics and HEADs while the key is looked up; a large one only once the caller may.
      prefetch: async ({ body }) => {
        const { topics } = body as z.infer<typeof multiFetchBodySchema>;
        const partitions = topics.reduce((n, t) => n + t.partitions.length, 0);
        if (new Set(topics.map((t) => t.topic)).size > PREFETCH_MAX_TOPICS || partitions > PREFETCH_MAX_PARTITIONS) return undefined;
        return readFetchTargets(deps.snapshots, body as z.infer<typeof multiFetchBodySchema>);
      },
      async handle({ body, authorize, signal, prefetched }) {
        for (const { topic } of body.topics) {
          if (!isValidTopicName(topic)) throw new BrookError('INVALID_TOPIC', `invalid topic name "${String(topic).slice(0, 300)}"`);
          authorize({ type: 'topic', name: topic }, 'read');
        }
        const maxRecords = body.maxRecordsPerPartition ?? FETCH_LIMITS.defaultMaxRecords;
        const found = (((await prefetched) as Snapshot | undefined) ?? (await readFetchTargets(deps.snapshots, body))).topics;
        const requests: PartitionFetch[] = [];
        for (const { topic: name, partitions } of body.topics) {
          const entry = found.get(name);
          if (!entry) continue;
          for (const { partition, offset } of partitions) {
            const head = entry.heads.get(partition);
            requests.push({
              topic: entry.topic,
              partition,
              maxRecords,
              ...(offset !== undefined ? { offset } : {}),
              ...(head ? { knownHead: offsetsOf(head) } : {}),
            });
          }
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
      prefetch: ({ params }) => readPathTarget(deps.snapshots, params),
      async handle(input) {
        const query = input.query as z.infer<typeof offsetsQuery>;
        const name = topicParam(input.params);
        input.authorize({ type: 'topic', name }, 'read');
        const { topic, partition, head } = await readTarget(deps.log, input, name);
        const at = query.at ?? 'latest';
        if (at === 'earliest' || at === 'latest') {
          return ok({ offset: at === 'earliest' ? head.logStartOffset : head.highWatermark });
        }
        return ok({ offset: await deps.log.offsetForTimestamp(topic.topicId, partition, at, head) });
      },
    }),
  };
}

/**
 * `POST /v1/transactions` (docs/http.md, Transactions): parse, check every
 * right the transaction needs, hand it to the TransactionService.
 */
import * as z from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { GROUP_NAME_PATTERN, PARTITION_NUMBER_PATTERN } from '../../protocol/names.js';
import { commitInputOf, commitOffsetsSchema, memberIdSchema } from '../groups/groupRoutes.js';
import { defineRoute, type RouteSpec } from '../http/httpHandler.js';
import { countMetric, countProduced } from '../http/metrics.js';
import { ok } from '../http/response.js';
import { isValidProducerId, MAX_PRODUCER_EPOCH } from '../log/ProducerRegistry.js';
import { fromJsonRecord } from '../log/recordJson.js';
import { encodingSchema, jsonRecordSchema } from '../log/recordSchemas.js';
import { topicNameSchema } from '../topics/topicConfig.js';
import { TRANSACTION_LIMITS, type TransactionService } from './TransactionService.js';

const MAX_SEQUENCE = 2 ** 31 - 1;
const partitionKeySchema = z.string().regex(PARTITION_NUMBER_PATTERN, 'a partition number');

export const transactionBodySchema = z.strictObject({
  encoding: encodingSchema.optional(),
  records: z.array(jsonRecordSchema.extend({ topic: topicNameSchema })).min(1, 'at least one record'),
  offsets: z
    .strictObject({
      group: z.string().regex(GROUP_NAME_PATTERN, 'a group name is 1 to 255 of [A-Za-z0-9._-]'),
      memberId: memberIdSchema,
      generation: z.int().min(0),
      // DynamoDB's 100 items bound it long before the commit's own limit.
      offsets: commitOffsetsSchema.max(TRANSACTION_LIMITS.items),
    })
    .optional(),
  producer: z
    .strictObject({
      id: z.string().refine(isValidProducerId, 'a producer id from POST /v1/producers'),
      epoch: z.int().min(0).max(MAX_PRODUCER_EPOCH),
      sequences: z.record(topicNameSchema, z.record(partitionKeySchema, z.int().min(0).max(MAX_SEQUENCE))),
    })
    .optional(),
  expectedOffsets: z.record(topicNameSchema, z.record(partitionKeySchema, z.int().min(0))).optional(),
});

type TransactionBody = z.infer<typeof transactionBodySchema>;

/** A bad record is INVALID_RECORD and its bad topic name INVALID_TOPIC; a bad offset INVALID_OFFSET; the rest INVALID_REQUEST. */
function transactionErrorCode(path: readonly PropertyKey[]): ErrorCode {
  if (path[0] === 'records' && path[2] === 'topic') return 'INVALID_TOPIC';
  if (path[0] === 'records' && path.length > 1) return 'INVALID_RECORD';
  if (path[0] === 'expectedOffsets' && path.length > 1) return 'INVALID_OFFSET';
  if (path[0] === 'offsets' && path.at(-1) === 'topic') return 'INVALID_TOPIC';
  if (path[0] === 'offsets' && path.at(-1) === 'offset') return 'INVALID_OFFSET';
  return 'INVALID_REQUEST';
}

export function transactionRoutes(transactions: TransactionService): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/transactions': defineRoute({
      body: transactionBodySchema,
      invalidBodyCode: transactionErrorCode,
      async handle({ body, authorize, event }) {
        const input = body as TransactionBody;
        for (const topic of new Set(input.records.map((record) => record.topic))) authorize({ type: 'topic', name: topic }, 'write');
        if (input.offsets) {
          // What a commit needs: read on the group and on the topics committed.
          authorize({ type: 'group', name: input.offsets.group }, 'read');
          for (const topic of new Set(input.offsets.offsets.map((entry) => entry.topic))) authorize({ type: 'topic', name: topic }, 'read');
        }
        const encoding = input.encoding ?? 'utf8';
        const now = Date.now();
        const { offsets } = input;
        const result = await transactions.commit({
          records: input.records.map((record, i) => ({
            topic: record.topic,
            ...(record.partition !== undefined ? { partition: record.partition } : {}),
            record: fromJsonRecord(record, i, encoding, now),
          })),
          ...(offsets ? { offsets: { group: offsets.group, memberId: offsets.memberId, generation: offsets.generation, offsets: commitInputOf(offsets).offsets } } : {}),
          ...(input.producer ? { producer: input.producer } : {}),
          ...(input.expectedOffsets ? { expectedOffsets: input.expectedOffsets } : {}),
        });
        countProduced(result.results.map(({ partition, offset }) => ({ partition, offset })), Buffer.byteLength(event.body ?? '', 'utf8'));
        countMetric('transactions', 1);
        return ok(result);
      },
    }),
  };
}

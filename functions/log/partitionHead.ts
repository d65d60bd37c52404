import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PartitionDescription } from '../../protocol/types.js';
import { translateStorageError } from '../storage/errors.js';

/**
 * Each partition's log lives under one partition key in the log table; its
 * HEAD item (sort key -1) holds the high watermark `next` and the log start
 * offset `start`. A partition with no HEAD is empty: both are 0.
 */
export const HEAD_SORT_KEY = -1;

export function logPartitionKey(topicId: string, partition: number): string {
  return `${topicId}#${partition}`;
}

export interface HeadItem {
  pk: string;
  sk: typeof HEAD_SORT_KEY;
  /** High watermark: the offset the next record will get. */
  next: number;
  /** Log start offset: the first offset still in the log. */
  start: number;
}

const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

/** The log start offset and high watermark of partitions `0..count-1`, in order. */
export async function readPartitionHeads(
  doc: DynamoDBDocumentClient,
  logTable: string,
  topicId: string,
  count: number,
): Promise<PartitionDescription[]> {
  return readHeadsOf(doc, logTable, topicId, Array.from({ length: count }, (_, partition) => partition));
}

/** The log start offset and high watermark of the given partitions, in the order given (consistent reads). */
export async function readHeadsOf(
  doc: DynamoDBDocumentClient,
  logTable: string,
  topicId: string,
  partitions: readonly number[],
): Promise<PartitionDescription[]> {
  const found = new Map<string, HeadItem>();
  const keys = [...new Set(partitions)].map((partition) => ({ pk: logPartitionKey(topicId, partition), sk: HEAD_SORT_KEY }));
  try {
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) throw Object.assign(new Error('unprocessed keys'), { name: 'ThrottlingException' });
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** round));
        const result: BatchGetCommandOutput = await doc.send(
          new BatchGetCommand({
            RequestItems: {
              [logTable]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk, #next, #start', ExpressionAttributeNames: { '#next': 'next', '#start': 'start' } },
            },
          }),
        );
        for (const item of result.Responses?.[logTable] ?? []) found.set(item.pk as string, item as HeadItem);
        pending = result.UnprocessedKeys?.[logTable]?.Keys;
      }
    }
  } catch (error) {
    throw translateStorageError(error);
  }
  return partitions.map((partition) => {
    const head = found.get(logPartitionKey(topicId, partition));
    return { partition, logStartOffset: head?.start ?? 0, highWatermark: head?.next ?? 0 };
  });
}

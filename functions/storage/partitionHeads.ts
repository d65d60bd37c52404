/**
 * Reads partitions' HEAD items (high watermark and log start offset) from
 * the log table in bulk: what describing a topic and a group's lag need,
 * without loading the partition log. The key layout is in
 * functions/layout/tables.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PartitionDescription } from '../../protocol/types.js';
import { HEAD_SORT_KEY, logPartitionKey, type HeadItem } from '../layout/tables.js';
import { batchGetAll } from './bulk.js';

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
  const keys = [...new Set(partitions)].map((partition) => ({ pk: logPartitionKey(topicId, partition), sk: HEAD_SORT_KEY }));
  const items = await batchGetAll<Pick<HeadItem, 'pk' | 'next' | 'start'>>(doc, logTable, keys, {
    ConsistentRead: true,
    ProjectionExpression: 'pk, #next, #start',
    ExpressionAttributeNames: { '#next': 'next', '#start': 'start' },
  });
  const found = new Map(items.map((item) => [item.pk, item]));
  return partitions.map((partition) => {
    const head = found.get(logPartitionKey(topicId, partition));
    return { partition, logStartOffset: head?.start ?? 0, highWatermark: head?.next ?? 0 };
  });
}

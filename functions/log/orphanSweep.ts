/**
 * The orphan sweep: an append that dies after its S3 PUT and before its
 * item leaves a batch object nothing refers to. The daily sweep deletes a
 * partition's batch objects that no item names and that are older than
 * `ORPHAN_MIN_AGE_MS`. Items are read first, objects listed after, so an
 * object written meanwhile is young and kept. It costs one Query and one
 * LIST per partition, once a day.
 */
import { queryAll } from '../storage/bulk.js';
import type { Topic } from '../topics/TopicRegistry.js';
import type { CompactionStore } from './CompactionStore.js';
import { partitionBatchesPrefix } from './objectKeys.js';
import { logPartitionKey } from '../layout/tables.js';

/**
 * How old an unreferenced batch object must be before a sweep deletes it:
 * far longer than an append (its S3 PUT, then its item) can take, since
 * Lambda stops a produce after 10 s.
 */
export const ORPHAN_MIN_AGE_MS = 3_600_000;

/** Deletes the partition's unreferenced batch objects older than `ORPHAN_MIN_AGE_MS`; returns how many. */
export async function deleteOrphans(store: CompactionStore, topic: Pick<Topic, 'topicId'>, partition: number): Promise<number> {
  const items = await queryAll<{ o?: unknown }>(store.doc, {
    TableName: store.tables.log,
    // Every item, also any at or past HEAD's next (an append that a later one completes).
    KeyConditionExpression: 'pk = :pk AND sk >= :zero',
    ExpressionAttributeValues: { ':pk': logPartitionKey(topic.topicId, partition), ':zero': 0 },
    ProjectionExpression: '#o',
    ExpressionAttributeNames: { '#o': 'o' },
    ConsistentRead: true,
  });
  const referenced = new Set(items.flatMap((item) => (typeof item.o === 'string' ? [item.o] : [])));
  const cutoff = store.now() - ORPHAN_MIN_AGE_MS;
  let deleted = 0;
  for (const object of await store.objects.list(partitionBatchesPrefix(topic.topicId, partition))) {
    if (referenced.has(object.Key!) || (object.LastModified?.getTime() ?? store.now()) > cutoff) continue;
    await store.objects.deleteQuietly(object.Key!);
    deleted++;
  }
  return deleted;
}

/**
 * The purge of deleted topics (docs/design.md, "Deleted topics"):
 * `DELETE /v1/topics/{topic}` leaves a `#deleted#<topicId>` marker; the
 * compactor deletes every log item of the topic's partitions, every object
 * of the topic, then the marker. A purge that fails keeps its marker, and
 * the next run starts it again.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../storage/bulk.js';
import type { DeletedTopicItem } from '../topics/TopicRegistry.js';
import type { CompactionStore } from './CompactionStore.js';
import type { LogItem } from './logItem.js';
import { topicPrefixes } from './objectKeys.js';
import { logPartitionKey } from '../layout/tables.js';

/** Removes every log item and S3 object of a deleted topic, then its marker. */
export async function purgeTopic(store: CompactionStore, marker: DeletedTopicItem): Promise<void> {
  for (let partition = 0; partition < marker.partitions; partition++) {
    const keys = await queryAll<Pick<LogItem, 'pk' | 'sk'>>(store.doc, {
      TableName: store.tables.log,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': logPartitionKey(marker.topicId, partition) },
      ProjectionExpression: 'pk, sk',
    });
    await store.deleteItems(keys);
  }
  for (const prefix of topicPrefixes(marker.topicId)) {
    // One key at a time: the S3 emulator's multi-object delete can fail while emptying a folder (a race in s3rver's clean-up).
    for (const object of await store.objects.list(prefix)) await store.objects.deleteQuietly(object.Key!);
  }
  await store.doc.send(new DeleteCommand({ TableName: store.tables.topics, Key: { pk: marker.pk } }));
}

/**
 * Retention (docs/design.md, "Retention"), for `cleanupPolicy: delete`:
 * whole segments and batches whose newest append is older than
 * `retentionMs`, then the oldest while the partition holds more than
 * `retentionBytes`, leave the log. HEAD's `start` moves past them first
 * (only forward), so fetches below it get OFFSET_OUT_OF_RANGE; then their
 * items and objects are deleted. A run that stops between the two finds the
 * items below the log start and deletes them (CompactionStore).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { Topic } from '../topics/TopicRegistry.js';
import type { CompactionStore } from './CompactionStore.js';
import { sizeOf, type LogItem } from './logItem.js';
import { HEAD_SORT_KEY } from '../layout/tables.js';

/** Removes whole segments and batches past the topic's retention and moves the log start offset; returns the offsets removed. */
export async function applyRetention(store: CompactionStore, topic: Pick<Topic, 'topicId' | 'config'>, partition: number): Promise<number> {
  const { retentionMs, retentionBytes, cleanupPolicy } = topic.config;
  if (cleanupPolicy !== 'delete' || (retentionMs < 0 && retentionBytes < 0)) return 0;
  const { pk, start: oldStart, items } = await store.liveItems(topic.topicId, partition);
  let total = items.reduce((sum, item) => sum + sizeOf(item), 0);
  const expired: LogItem[] = [];
  for (const item of items) {
    const tooOld = retentionMs >= 0 && item.t < store.now() - retentionMs;
    const tooBig = retentionBytes >= 0 && total > retentionBytes;
    if (!tooOld && !tooBig) break;
    expired.push(item);
    total -= sizeOf(item);
  }
  if (expired.length === 0) return 0;
  const start = expired.at(-1)!.sk + expired.at(-1)!.c;
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tables.log,
        Key: { pk, sk: HEAD_SORT_KEY },
        UpdateExpression: 'SET #start = :start',
        ConditionExpression: '#start < :start',
        ExpressionAttributeNames: { '#start': 'start' },
        ExpressionAttributeValues: { ':start': start },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  await store.afterStep('start-advanced');
  // Below the log start offset nothing is read any more: remove the items, then their objects.
  await store.deleteItems(expired);
  for (const item of expired) {
    await store.deleteObjectOf(item);
    for (const key of item.g ?? []) await store.objects.deleteQuietly(key);
  }
  return start - oldStart;
}

/**
 * Key compaction (docs/design.md, "Key compaction"), for `cleanupPolicy:
 * compact`: segments are rewritten keeping only the newest record of each
 * key in the whole partition, and dropping tombstones appended longer than
 * the grace period ago. Kept records keep their offsets, so batches get
 * offset gaps. Batches still in DynamoDB (the newest data) are not
 * rewritten; they only count for what is newest. A rewritten segment gets a
 * new key; its pointer is replaced only if it still names the old one.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { decodeBatch, encodeBatch, type StoredRecord } from '../../protocol/recordBatch.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { Topic } from '../topics/TopicRegistry.js';
import type { CompactionStore } from './CompactionStore.js';
import type { LogItem } from './logItem.js';
import { rewrittenSegmentKey } from './objectKeys.js';
import { buildSegment, decodeSegmentIndex, splitBatches, type SegmentPart } from './segment.js';

/** Compacts one partition's segments by key; returns the records dropped. */
export async function compactKeys(
  store: CompactionStore,
  topic: Pick<Topic, 'topicId' | 'config'>,
  partition: number,
  tombstoneGraceMs: number,
): Promise<number> {
  if (topic.config.cleanupPolicy !== 'compact') return 0;
  const { items } = await store.liveItems(topic.topicId, partition);
  const batchesOf = new Map<LogItem, StoredRecord[][]>();
  const newest = new Map<string, number>();
  for (const item of items) {
    const batches = (item.s ? splitBatches(await store.objects.read(item.s)) : [await store.objects.batchBytes(item)]).map(
      (bytes) => decodeBatch(bytes, { allowGaps: true }).records,
    );
    batchesOf.set(item, batches);
    for (const record of batches.flat()) if (record.key) newest.set(keyOf(record.key), record.offset);
  }
  const graceEnd = store.now() - tombstoneGraceMs;
  let dropped = 0;
  for (const item of items) {
    if (!item.s) continue;
    const batches = batchesOf.get(item)!;
    const kept = batches.map((records) =>
      records.filter((r) => r.key === null || (newest.get(keyOf(r.key)) === r.offset && !(r.value === null && item.t < graceEnd))),
    );
    const droppedHere = batches.flat().length - kept.flat().length;
    if (droppedHere === 0) continue;
    await rewriteSegment(store, item, kept);
    dropped += droppedHere;
  }
  return dropped;
}

async function rewriteSegment(store: CompactionStore, segment: LogItem, keptByBatch: StoredRecord[][]): Promise<void> {
  const oldIndex = decodeSegmentIndex(segment.sk, segment.x!);
  const parts: SegmentPart[] = [];
  keptByBatch.forEach((kept, i) => {
    if (kept.length === 0) return;
    const base = kept[0]!.offset;
    const bytes = encodeBatch(kept, { baseOffset: base, offsetDeltas: kept.map((r) => r.offset - base), compression: 'auto' });
    // The old running maximum stays an upper bound that never decreases: offsets by time still bisect.
    parts.push({ offset: base, bytes, maxTimestamp: oldIndex[i]!.maxTimestamp });
  });
  const rewritten = buildSegment(segment.sk, parts);
  const generation = (segment.v ?? 0) + 1;
  const key = rewrittenSegmentKey(segment.s!, generation);
  await store.objects.put(key, rewritten.body);
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tables.log,
        Item: { ...segment, s: key, v: generation, x: rewritten.index, z: rewritten.body.length },
        ConditionExpression: 's = :old',
        ExpressionAttributeValues: { ':old': segment.s },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    await store.objects.deleteQuietly(key);
    return;
  }
  await store.objects.deleteQuietly(segment.s!);
}

function keyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}

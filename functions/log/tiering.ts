/**
 * Tiering (docs/design.md, "Rolling batches into segments"): committed
 * batches old enough, or over the partition's DynamoDB budget, are rolled
 * into S3 segments of up to `maxSegmentBytes`.
 *
 * Rolling batches `[a, b)` keeps every offset readable at every moment:
 * (1) the segment object is written; (2) the item at `a` is replaced by a
 * pointer to the segment, only if it is still a batch; (3) the other batch
 * items are deleted; (4) so are the S3 batches the segment replaced. Readers
 * find either the batches or the segment, both holding the same bytes. A
 * crash after any step leaves a state the next run finishes (an unreferenced
 * segment object is written again, same key and bytes, or removed; covered
 * batches are deleted). Two compactors at once race only on step 2's condition.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { CompactionStore } from './CompactionStore.js';
import { sizeOf, type LogItem } from './logItem.js';
import { segmentObjectKey } from './objectKeys.js';
import { buildSegment } from './segment.js';

export interface TieringSettings {
  /** Batches younger than this stay in DynamoDB (unless over the byte budget). */
  minAgeMs: number;
  /** Bytes of batches a partition keeps in DynamoDB before the oldest are rolled regardless of age. */
  dynamoDbBudgetBytes: number;
  /** Largest segment object. */
  maxSegmentBytes: number;
}

export interface TieringResult {
  segmentsWritten: number;
  batchesRolled: number;
}

/** Rolls old enough (or over-budget) committed batches of one partition into segments. */
export async function rollBatches(store: CompactionStore, topicId: string, partition: number, settings: TieringSettings): Promise<TieringResult> {
  const { items } = await store.liveItems(topicId, partition);
  const batches = items.filter((item) => !item.s);

  const cutoff = store.now() - settings.minAgeMs;
  let inlineBytes = batches.reduce((sum, item) => sum + (item.b?.length ?? 0), 0);
  const eligible: LogItem[] = [];
  for (const item of batches) {
    if (item.t > cutoff && inlineBytes <= settings.dynamoDbBudgetBytes) break;
    if (eligible.length > 0 && eligible.at(-1)!.sk + eligible.at(-1)!.c !== item.sk) break;
    eligible.push(item);
    inlineBytes -= item.b?.length ?? 0;
  }
  const result: TieringResult = { segmentsWritten: 0, batchesRolled: 0 };
  for (const run of runs(eligible, settings.maxSegmentBytes)) {
    await rollIntoSegment(store, topicId, partition, run);
    result.segmentsWritten++;
    result.batchesRolled += run.length;
  }
  return result;
}

/** Cuts contiguous batches into runs of at most `maxBytes` (a larger batch is a run of its own). */
function runs(eligible: LogItem[], maxBytes: number): LogItem[][] {
  const all: LogItem[][] = [];
  let current: LogItem[] = [];
  let bytes = 0;
  for (const item of eligible) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > maxBytes) {
      all.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) all.push(current);
  return all;
}

async function rollIntoSegment(store: CompactionStore, topicId: string, partition: number, run: LogItem[]): Promise<void> {
  const first = run[0]!;
  const last = run.at(-1)!;
  const end = last.sk + last.c;
  const parts = [];
  // Each batch with its base offset set, so each stays a valid batch on its own.
  for (const item of run) parts.push({ offset: item.sk, bytes: await store.objects.batchBytes(item), maxTimestamp: item.m });
  const segment = buildSegment(first.sk, parts);
  const key = segmentObjectKey(topicId, partition, first.sk, end);
  await store.objects.put(key, segment.body);
  await store.afterStep('segment-written');

  const garbage = run.flatMap((item) => (item.o ? [item.o] : []));
  const pointer: LogItem = {
    pk: first.pk,
    sk: first.sk,
    c: end - first.sk,
    t: Math.max(...run.map((item) => item.t)),
    m: last.m,
    s: key,
    x: segment.index,
    z: segment.body.length,
    // The S3 batches this segment replaces, deleted last; a run after a crash finds them here.
    ...(garbage.length > 0 ? { g: garbage } : {}),
  };
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tables.log,
        Item: pointer,
        // Replace the first batch only while it is one: another compactor may have rolled it already.
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(s)',
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const existing = await store.doc.send(new GetCommand({ TableName: store.tables.log, Key: { pk: first.pk, sk: first.sk }, ConsistentRead: true }));
    if ((existing.Item as LogItem | undefined)?.s !== key) await store.objects.deleteQuietly(key);
    return;
  }
  await store.afterStep('pointer-written');
  await store.deleteItems(run.slice(1));
  await store.afterStep('batches-deleted');
  await store.collectGarbage(pointer);
}

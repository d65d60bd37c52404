/**
 * Where the log keeps its bytes in the bucket (docs/design.md, "Tiering to
 * S3"): the one place that spells the key layout, for the append that writes
 * a large batch, the compactor that rolls segments and the sweeps that list
 * and delete a partition's or a topic's objects.
 *
 * ```
 * batches/<topicId>/<partition>/<uuid>.batch           one large batch (produce)
 * segments/<topicId>/<partition>/<base>-<end>.seg       batches back to back
 * segments/<topicId>/<partition>/<base>-<end>.<n>.seg   the same, rewritten n times by key compaction
 * ```
 */
import { randomUUID } from 'node:crypto';

/** Offsets in segment keys are zero-padded, so keys list in offset order. */
const OFFSET_DIGITS = 16;

/** A new key for one large batch of a partition. */
export function batchObjectKey(topicId: string, partition: number): string {
  return `${partitionBatchesPrefix(topicId, partition)}${randomUUID()}.batch`;
}

/** The prefix of every batch object of a partition. */
export function partitionBatchesPrefix(topicId: string, partition: number): string {
  return `batches/${topicId}/${partition}/`;
}

/** The key of the segment holding offsets `[base, end)`, as first written. */
export function segmentObjectKey(topicId: string, partition: number, base: number, end: number): string {
  return `segments/${topicId}/${partition}/${padOffset(base)}-${padOffset(end)}.seg`;
}

/** The key of a segment once key compaction has rewritten it `generation` times. */
export function rewrittenSegmentKey(key: string, generation: number): string {
  return key.replace(/(\.\d+)?\.seg$/, `.${generation}.seg`);
}

/** The prefixes that hold every object of a topic. */
export function topicPrefixes(topicId: string): string[] {
  return [`batches/${topicId}/`, `segments/${topicId}/`];
}

function padOffset(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

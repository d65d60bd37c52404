/**
 * What the log table's stream tells the compactor: the partitions whose HEAD
 * item changed (every append updates its partition's HEAD). The stream is
 * filtered to HEAD items in infra; this check repeats it, so that any other
 * record is ignored rather than misread.
 */
import { HEAD_SORT_KEY } from '../layout/tables.js';

interface StreamRecordLike {
  dynamodb?: { Keys?: Record<string, { S?: string; N?: string } | undefined> };
}

/** The log keys (`<topicId>#<partition>`) of changed HEAD items, or `undefined` when the event is not a stream batch (a scheduled sweep). */
export function changedPartitionKeys(event: unknown): Set<string> | undefined {
  const records = (event as { Records?: unknown } | undefined)?.Records;
  if (!Array.isArray(records)) return undefined;
  const keys = new Set<string>();
  for (const record of records as StreamRecordLike[]) {
    const pk = record.dynamodb?.Keys?.pk?.S;
    const sk = record.dynamodb?.Keys?.sk?.N;
    if (pk !== undefined && sk !== undefined && Number(sk) === HEAD_SORT_KEY) keys.add(pk);
  }
  return keys;
}

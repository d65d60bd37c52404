/**
 * An append's check that the offset it was answered is really its own
 * (docs/design.md, "Failure model"): when HEAD was already past its item,
 * the batch HEAD passed there may have been another's, since rolled into a
 * segment, leaving the offset free for a late put (an orphan no reader sees).
 */
import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withBaseOffset } from '../../protocol/recordBatch.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { HeadState } from './headState.js';
import type { LogItem } from './logItem.js';
import type { LogObjects } from './LogObjects.js';
import { decodeSegmentIndex } from './segment.js';

/** What the check reads and writes: the log table and the log's objects. */
export interface LogAccess {
  doc: DynamoDBDocumentClient;
  logTable: string;
  objects: Pick<LogObjects, 'read'>;
}

/**
 * Whether `item` (holding `batch`), found already passed by HEAD (`head`),
 * is the batch HEAD passed. It is when it is not below the log start and
 * the item before it ends where it starts. When a segment covers its
 * offset, the batch HEAD passed there was rolled into that segment since:
 * it is this one if the segment holds these very bytes there; otherwise the
 * put landed where another batch had been (an orphan).
 */
export async function isOnTheLog(log: LogAccess, item: LogItem, head: HeadState, batch: Uint8Array): Promise<boolean> {
  if (item.sk < head.start) return false;
  if (item.sk === head.start) return true;
  const result = await log.doc.send(
    new QueryCommand({
      TableName: log.logTable,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :zero AND :before',
      ExpressionAttributeValues: { ':pk': item.pk, ':zero': 0, ':before': item.sk - 1 },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const before = result.Items?.[0] as LogItem | undefined;
  if (before === undefined) return false;
  if (before.sk + before.c === item.sk) return true;
  if (!before.s || !before.x || before.sk + before.c <= item.sk) return false;
  const entries = decodeSegmentIndex(before.sk, before.x);
  const at = entries.findIndex((entry) => entry.offset === item.sk);
  if (at < 0) return false;
  const ours = withBaseOffset(batch, item.sk);
  const start = entries[at]!.position;
  const end = entries[at + 1]?.position ?? before.z ?? start;
  if (end - start !== ours.length) return false;
  const stored = await log.objects.read(before.s, start, end);
  return Buffer.compare(Buffer.from(stored), Buffer.from(ours)) === 0;
}

/** Deletes `item` if it is still this append's (its token). */
export async function deleteOwn(log: LogAccess, item: LogItem): Promise<void> {
  try {
    await log.doc.send(
      new DeleteCommand({
        TableName: log.logTable,
        Key: { pk: item.pk, sk: item.sk },
        ConditionExpression: '#a = :a',
        ExpressionAttributeNames: { '#a': 'a' },
        ExpressionAttributeValues: { ':a': item.a },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

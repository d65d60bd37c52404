/**
 * What a target's answer means for a batch (docs/subscriptions.md,
 * "Answers"): the whole batch delivered, delivered up to the lowest offset
 * listed in `batchItemFailures` (Lambda's convention for Kinesis), or failed.
 * A successful answer may also carry `records` to write, as in
 * `POST /v1/transactions` ("Answers with records"): the dispatcher writes
 * them in one transaction with the position the answer moves to.
 */
import * as z from 'zod';
import { BrookError } from '../../protocol/errors.js';
import type { Encoding } from '../../protocol/types.js';
import { fromJsonRecord } from '../log/recordJson.js';
import { jsonRecordSchema } from '../log/recordSchemas.js';
import { topicNameSchema } from '../topics/topicConfig.js';
import type { TransactionRecord } from '../transactions/TransactionService.js';

/** `records` as the answer carried them (JSON, not checked yet): written with the new position. */
export type AnswerRecords = { records?: unknown[] };

export type DeliveryOutcome =
  | ({ kind: 'delivered' } & AnswerRecords)
  | ({ kind: 'partial'; failedFrom: number } & AnswerRecords)
  | { kind: 'failed'; error: string };

/**
 * Reads a successful answer's body (a 2xx webhook answer, a Lambda result
 * without a function error). Like Lambda: no body, a body that is not a JSON
 * object, or an object without `batchItemFailures` (or with an empty list)
 * delivers the whole batch; a list whose identifiers are not offsets of the
 * batch fails it. A non-empty `records` list comes with the outcome (checked
 * by `answerRecords` when written); a `records` that is not a list fails the
 * batch.
 */
export function readAnswer(body: string, offsets: readonly number[]): DeliveryOutcome {
  let answer: unknown;
  try {
    answer = body.trim() === '' ? null : JSON.parse(body);
  } catch {
    return { kind: 'delivered' };
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return { kind: 'delivered' };
  const records = (answer as { records?: unknown }).records;
  if (records !== undefined && records !== null && !Array.isArray(records)) return { kind: 'failed', error: 'the answer\'s records is not a list' };
  const carried: AnswerRecords = Array.isArray(records) && records.length > 0 ? { records } : {};
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'delivered', ...carried };
  if (!Array.isArray(failures)) return { kind: 'failed', error: 'the answer\'s batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'delivered', ...carried };
  const inBatch = new Set(offsets);
  let lowest = Infinity;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const offset = typeof identifier === 'string' && /^\d+$/.test(identifier) ? Number(identifier) : typeof identifier === 'number' ? identifier : NaN;
    if (!inBatch.has(offset)) {
      return { kind: 'failed', error: `batchItemFailures names ${JSON.stringify(identifier)}, which is not an offset of this batch` };
    }
    lowest = Math.min(lowest, offset);
  }
  return { kind: 'partial', failedFrom: lowest, ...carried };
}

const answerRecordsSchema = z.array(jsonRecordSchema.extend({ topic: topicNameSchema }));

/**
 * An answer's `records` as a transaction writes them, read as a
 * `POST /v1/transactions` body's records with the subscription's `encoding`
 * as its `encoding`. A record that is not one throws `INVALID_RECORD` (or
 * `INVALID_TOPIC` for its topic name), naming where it is.
 */
export function answerRecords(records: readonly unknown[], encoding: Encoding, now: number): TransactionRecord[] {
  const parsed = answerRecordsSchema.safeParse(records);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = ['records', ...issue.path.map(String)].join('.');
    throw new BrookError(issue.path[1] === 'topic' ? 'INVALID_TOPIC' : 'INVALID_RECORD', `${where}: ${issue.message}`);
  }
  return parsed.data.map((record, i) => ({
    topic: record.topic,
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    record: fromJsonRecord(record, i, encoding, now),
  }));
}

/**
 * What a target's answer means for a batch (docs/subscriptions.md,
 * "Answers"): the whole batch delivered, delivered up to the lowest offset
 * listed in `batchItemFailures` (Lambda's convention for Kinesis), or failed.
 */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  | { kind: 'partial'; failedFrom: number }
  | { kind: 'failed'; error: string };

/**
 * Reads a successful answer's body (a 2xx webhook answer, a Lambda result
 * without a function error). Like Lambda: no body, a body that is not a JSON
 * object, or an object without `batchItemFailures` (or with an empty list)
 * delivers the whole batch; a list whose identifiers are not offsets of the
 * batch fails it.
 */
export function readAnswer(body: string, offsets: readonly number[]): DeliveryOutcome {
  let answer: unknown;
  try {
    answer = body.trim() === '' ? null : JSON.parse(body);
  } catch {
    return { kind: 'delivered' };
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return { kind: 'delivered' };
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'delivered' };
  if (!Array.isArray(failures)) return { kind: 'failed', error: 'the answer\'s batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'delivered' };
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
  return { kind: 'partial', failedFrom: lowest };
}

/**
 * A history checker for one subscription's deliveries, the counterpart of
 * test/helpers/history.ts for the delivery side (docs/subscriptions.md,
 * "Delivery"). The webhook records every delivery it received (partition,
 * records, `brook-delivery-id`, when it arrived, when it was answered, and
 * what it answered); at the end the whole log is read and the subscription's
 * positions are taken from `GET /v1/subscriptions/{name}`. The checker then
 * proves, per partition, in arrival order:
 *
 * - **one in flight**: no two deliveries' intervals [arrival, answer] overlap;
 * - **the log's records**: a batch holds consecutive offsets (at least one),
 *   each with the value the log holds there;
 * - **no skip, no step back**: the *acknowledged position* is where the most
 *   recent acknowledging answer left delivery (the end of a batch answered 2xx,
 *   the lowest listed offset of a `batchItemFailures` answer; a failed answer
 *   leaves it where it was; it starts at the log's first offset). Every batch
 *   starts exactly there (a first try, or a retry of a failed batch from the
 *   same start), with one exception the contract allows: a **redelivery** of
 *   the last acknowledged batch, from that batch's start, because its
 *   acknowledgement may have been lost between the target and Brook (the
 *   answer arrived, the write of the new position failed). Nothing else may
 *   start earlier, and nothing may start later;
 * - **delivery ids**: the same records (partition, first and last offset)
 *   always come under the same `brook-delivery-id`, other records never do;
 * - **complete**: at the end every record of the log from its first offset to
 *   the final position was acknowledged at least once, and the final position
 *   of every partition equals its high watermark.
 *
 * Not a violation but counted (`stats.changedRetries`): a try from the same
 * start as a failed one that holds different records. The contract sends a
 * retry as it was; Brook can only do so if the failure was written, so under
 * storage faults a failure whose write was lost is retried as a new batch.
 *
 * A violation comes with the shortest history that shows it: the offending
 * delivery and the ones just before it in that partition.
 */
import type { LoggedRecord, Verdict } from './history.js';

/** What the webhook answered: all delivered (2xx), delivered before `failedFrom` (batchItemFailures), or failed (any other answer). */
export type WebhookAnswer = { kind: 'delivered' } | { kind: 'partial'; failedFrom: number } | { kind: 'failed'; status: number };

/** One delivery as the webhook received and answered it. */
export interface ReceivedBatch {
  partition: number;
  deliveryId: string;
  records: readonly { offset: number; value: string | null }[];
  /** Epoch ms the request arrived. */
  arrivedAt: number;
  /** Epoch ms the answer was sent. */
  answeredAt: number;
  answer: WebhookAnswer;
}

export interface DeliveryVerdict extends Verdict {
  /** `checked.attempts` counts deliveries, `checked.acknowledged` records acknowledged (with repeats). */
  stats: {
    deliveries: number;
    failed: number;
    partial: number;
    /** Tries from the start of a failed (or partially failed without progress) try. */
    retries: number;
    /** Deliveries from the start of an acknowledged batch, after the acknowledgement (a lost acknowledgement). */
    redeliveries: number;
    /** Retries whose records differ from the failed try's (see the file comment). */
    changedRetries: number;
  };
}

/** `#3 p0 [4..8) delivered 120-321 id=ab12cd34`: one delivery, short. */
function show(delivery: ReceivedBatch, index: number): string {
  const first = delivery.records[0]?.offset;
  const range = first === undefined ? '[]' : `[${first}..${delivery.records.at(-1)!.offset + 1})`;
  const answer =
    delivery.answer.kind === 'partial' ? `partial@${delivery.answer.failedFrom}` : delivery.answer.kind === 'failed' ? `failed(${delivery.answer.status})` : 'delivered';
  return `#${index} p${delivery.partition} ${range} ${answer} ${delivery.arrivedAt}-${delivery.answeredAt} id=${delivery.deliveryId.slice(0, 8)}`;
}

/** Offsets as ranges: [1,2,3,7] -> "1-3, 7". */
function ranges(offsets: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < offsets.length; ) {
    let j = i;
    while (j + 1 < offsets.length && offsets[j + 1] === offsets[j]! + 1) j++;
    parts.push(i === j ? `${offsets[i]}` : `${offsets[i]}-${offsets[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * Checks the deliveries of one subscription (`startAt: "earliest"`) against
 * the log as read at the end (every partition from its start) and the final
 * positions (`partition -> position`) its description showed.
 */
export function checkDeliveryHistory(
  deliveries: readonly ReceivedBatch[],
  log: readonly LoggedRecord[],
  finalPositions: Readonly<Record<number, number>>,
): DeliveryVerdict {
  const violations: string[] = [];
  const stats = { deliveries: deliveries.length, failed: 0, partial: 0, retries: 0, redeliveries: 0, changedRetries: 0 };
  let acknowledgedRecords = 0;

  const logged = new Map<number, Map<number, string>>();
  for (const record of log) (logged.get(record.partition) ?? logged.set(record.partition, new Map()).get(record.partition)!).set(record.offset, record.value);
  const numbered = deliveries.map((delivery, index) => ({ delivery, index }));
  const partitions = new Set<number>([...logged.keys(), ...Object.keys(finalPositions).map(Number), ...deliveries.map((d) => d.partition)]);

  // Delivery ids: one id per range of records, one range per id.
  const rangeOfId = new Map<string, { key: string; index: number }>();
  const idOfRange = new Map<string, { id: string; index: number }>();
  for (const { delivery, index } of numbered) {
    if (delivery.records.length === 0) continue;
    const key = `${delivery.partition}/${delivery.records[0]!.offset}/${delivery.records.at(-1)!.offset + 1}`;
    const byId = rangeOfId.get(delivery.deliveryId);
    if (byId && byId.key !== key) violations.push(`delivery id ${delivery.deliveryId} names two batches: ${show(deliveries[byId.index]!, byId.index)} and ${show(delivery, index)}`);
    else rangeOfId.set(delivery.deliveryId, { key, index });
    const byRange = idOfRange.get(key);
    if (byRange && byRange.id !== delivery.deliveryId) violations.push(`the same records came under two delivery ids: ${show(deliveries[byRange.index]!, byRange.index)} and ${show(delivery, index)}`);
    else idOfRange.set(key, { id: delivery.deliveryId, index });
  }

  for (const partition of [...partitions].sort((a, b) => a - b)) {
    const values = logged.get(partition) ?? new Map<number, string>();
    const offsets = [...values.keys()].sort((a, b) => a - b);
    const logStart = offsets[0] ?? 0;
    const highWatermark = offsets.length > 0 ? offsets.at(-1)! + 1 : 0;
    const ordered = numbered.filter((n) => n.delivery.partition === partition).sort((a, b) => a.delivery.arrivedAt - b.delivery.arrivedAt || a.index - b.index);
    /** The offending delivery with up to two before it. */
    const around = (at: number) => ordered.slice(Math.max(0, at - 2), at + 1).map((n) => show(n.delivery, n.index)).join('; ');

    let acknowledged = logStart;
    let lastAcknowledgedStart: number | undefined;
    let latestAnswer: { at: number; index: number } | undefined;
    const delivered = new Set<number>();

    ordered.forEach(({ delivery }, at) => {
      // One in flight: this one arrived after every earlier one was answered.
      if (latestAnswer && delivery.arrivedAt < ordered[latestAnswer.index]!.delivery.answeredAt) {
        violations.push(`partition ${partition}: two deliveries in flight at once: ${show(ordered[latestAnswer.index]!.delivery, ordered[latestAnswer.index]!.index)} and ${show(delivery, ordered[at]!.index)}`);
      }
      if (!latestAnswer || delivery.answeredAt >= latestAnswer.at) latestAnswer = { at: delivery.answeredAt, index: at };

      // The log's records, consecutive.
      if (delivery.records.length === 0) {
        violations.push(`partition ${partition}: an empty batch: ${around(at)}`);
        return;
      }
      delivery.records.forEach((record, i) => {
        if (i > 0 && record.offset !== delivery.records[i - 1]!.offset + 1) {
          violations.push(`partition ${partition}: a batch's offsets jump from ${delivery.records[i - 1]!.offset} to ${record.offset}: ${around(at)}`);
        }
        if (!values.has(record.offset)) violations.push(`partition ${partition}: offset ${record.offset} was delivered but is not in the log: ${around(at)}`);
        else if (values.get(record.offset) !== record.value) {
          violations.push(`partition ${partition}: offset ${record.offset} was delivered as ${JSON.stringify(record.value)}, the log holds ${JSON.stringify(values.get(record.offset))}: ${around(at)}`);
        }
      });

      // Where it starts: at the acknowledged position, or again at the last acknowledged batch's start.
      const start = delivery.records[0]!.offset;
      const end = delivery.records.at(-1)!.offset + 1;
      const previous = at > 0 ? ordered[at - 1]!.delivery : undefined;
      if (start === acknowledged) {
        if (previous && previous.records[0]?.offset === start && previous.answer.kind !== 'delivered' && !(previous.answer.kind === 'partial' && previous.answer.failedFrom > start)) {
          stats.retries++;
          if (previous.records.at(-1)!.offset + 1 !== end) stats.changedRetries++;
        }
      } else if (start === lastAcknowledgedStart && start < acknowledged) {
        stats.redeliveries++;
      } else if (start > acknowledged) {
        violations.push(`partition ${partition}: a batch starts at ${start}, past the acknowledged position ${acknowledged} (offsets ${acknowledged}-${start - 1} skipped): ${around(at)}`);
      } else {
        violations.push(
          `partition ${partition}: a batch starts at ${start}, before the acknowledged position ${acknowledged}, and is not a redelivery of the last acknowledged batch (from ${lastAcknowledgedStart ?? 'none'}): ${around(at)}`,
        );
      }

      // What its answer acknowledged.
      const { answer } = delivery;
      if (answer.kind === 'failed') {
        stats.failed++;
        return;
      }
      let through = end;
      if (answer.kind === 'partial') {
        stats.partial++;
        if (answer.failedFrom < start || answer.failedFrom >= end) {
          violations.push(`partition ${partition}: the history is malformed: a partial answer names ${answer.failedFrom}, outside its batch: ${around(at)}`);
          return;
        }
        through = answer.failedFrom;
      }
      for (let offset = start; offset < through; offset++) delivered.add(offset);
      acknowledgedRecords += through - start;
      acknowledged = through;
      lastAcknowledgedStart = start;
    });

    // Complete: the final position is the high watermark, and everything before it was acknowledged.
    const final = finalPositions[partition];
    if (final !== highWatermark) violations.push(`partition ${partition}: the final position is ${final ?? 'missing'}, the high watermark ${highWatermark}`);
    const missing = offsets.filter((offset) => offset < (final ?? highWatermark) && !delivered.has(offset));
    if (missing.length > 0) {
      const firstMissing = missing[0]!;
      const near = ordered.findIndex((n) => (n.delivery.records.at(-1)?.offset ?? -1) + 1 >= firstMissing);
      violations.push(`partition ${partition}: offsets ${ranges(missing)} were never acknowledged; around the first: ${near === -1 ? around(ordered.length - 1) : around(near)}`);
    }
  }

  return { ok: violations.length === 0, checked: { attempts: deliveries.length, acknowledged: acknowledgedRecords, logged: log.length }, violations, stats };
}

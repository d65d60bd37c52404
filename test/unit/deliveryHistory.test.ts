/**
 * The subscription delivery checker (test/helpers/deliveryHistory.ts) on
 * hand-made histories: one valid history with failures, a partial answer, a
 * retry and a redelivery after a lost acknowledgement passes; each kind of
 * violation is caught and shown with the deliveries around it.
 */
import { describe, expect, it } from 'vitest';
import { checkDeliveryHistory, type ReceivedBatch, type WebhookAnswer } from '../helpers/deliveryHistory.js';
import type { LoggedRecord } from '../helpers/history.js';

const delivered: WebhookAnswer = { kind: 'delivered' };
const failed: WebhookAnswer = { kind: 'failed', status: 500 };
const partial = (failedFrom: number): WebhookAnswer => ({ kind: 'partial', failedFrom });

/** Ten records on partition 0: offset n holds `v<n>`. */
const log: LoggedRecord[] = Array.from({ length: 10 }, (_, offset) => ({ partition: 0, offset, value: `v${offset}` }));

/** Deliveries one after the other, 10 ms apart, each answered 5 ms after it arrived; `from`/`to` as [from, to). */
function history(...batches: [from: number, to: number, answer: WebhookAnswer][]): ReceivedBatch[] {
  return batches.map(([from, to, answer], i) => ({
    partition: 0,
    deliveryId: `id-${from}-${to}`,
    records: Array.from({ length: to - from }, (_, k) => ({ offset: from + k, value: `v${from + k}` })),
    arrivedAt: 1000 + i * 10,
    answeredAt: 1005 + i * 10,
    answer,
  }));
}

describe('checkDeliveryHistory', () => {
  it('accepts failures, retries, a partial answer and a redelivery after a lost acknowledgement', () => {
    const deliveries = history(
      [0, 4, failed],
      [0, 4, delivered], // retry
      [0, 4, delivered], // the acknowledgement was lost: delivered again
      [4, 8, partial(6)],
      [6, 8, failed],
      [6, 8, partial(6)], // the first record failed again: no progress
      [6, 10, delivered], // the failure's write was lost: a longer retry
    );
    const verdict = checkDeliveryHistory(deliveries, log, { 0: 10 });
    expect(verdict.violations).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, checked: { attempts: 7, acknowledged: 4 + 4 + 2 + 4, logged: 10 } });
    expect(verdict.stats).toEqual({ deliveries: 7, failed: 2, partial: 2, retries: 3, redeliveries: 1, changedRetries: 1 });
  });

  it('finds two deliveries of one partition in flight at once', () => {
    const deliveries = history([0, 5, delivered], [5, 10, delivered]);
    deliveries[1]!.arrivedAt = deliveries[0]!.answeredAt - 1;
    expect(checkDeliveryHistory(deliveries, log, { 0: 10 }).violations).toEqual([expect.stringMatching(/two deliveries in flight at once: #0 p0 \[0\.\.5\).*#1 p0 \[5\.\.10\)/)]);
  });

  it('finds a batch whose offsets are not consecutive', () => {
    const deliveries = history([0, 5, delivered], [5, 10, delivered]);
    deliveries[1]!.records = deliveries[1]!.records.filter((r) => r.offset !== 7);
    const violations = checkDeliveryHistory(deliveries, log, { 0: 10 }).violations;
    expect(violations).toContainEqual(expect.stringContaining('offsets jump from 6 to 8'));
  });

  it('finds a delivered value that is not the log\'s', () => {
    const deliveries = history([0, 5, delivered], [5, 10, delivered]);
    deliveries[1]!.records = deliveries[1]!.records.map((r) => (r.offset === 6 ? { ...r, value: 'other' } : r));
    expect(checkDeliveryHistory(deliveries, log, { 0: 10 }).violations).toEqual([expect.stringContaining('offset 6 was delivered as "other", the log holds "v6"')]);
  });

  it('finds an offset delivered that is not in the log', () => {
    const deliveries = history([0, 5, delivered], [5, 11, delivered]);
    expect(checkDeliveryHistory(deliveries, log, { 0: 10 }).violations).toContainEqual(expect.stringContaining('offset 10 was delivered but is not in the log'));
  });

  it('finds a skipped position: a batch past the acknowledged position', () => {
    const violations = checkDeliveryHistory(history([0, 4, partial(2)], [4, 8, delivered], [8, 10, delivered]), log, { 0: 10 }).violations;
    expect(violations).toContainEqual(expect.stringContaining('starts at 4, past the acknowledged position 2 (offsets 2-3 skipped): #0 p0 [0..4) partial@2'));
    expect(violations).toContainEqual(expect.stringContaining('offsets 2-3 were never acknowledged'));
  });

  it('finds a batch after a failure that does not retry it but moves on', () => {
    const violations = checkDeliveryHistory(history([0, 4, delivered], [4, 8, failed], [8, 10, delivered]), log, { 0: 10 }).violations;
    expect(violations).toContainEqual(expect.stringContaining('starts at 8, past the acknowledged position 4'));
  });

  it('finds a step back that is not a redelivery of the last acknowledged batch', () => {
    const deliveries = history([0, 4, delivered], [4, 8, delivered], [0, 4, delivered], [8, 10, delivered]);
    const violations = checkDeliveryHistory(deliveries, log, { 0: 10 }).violations;
    expect(violations).toContainEqual(expect.stringContaining('starts at 0, before the acknowledged position 8, and is not a redelivery of the last acknowledged batch (from 4)'));
  });

  it('finds a delivery id shared by two batches, and one batch under two ids', () => {
    const shared = history([0, 5, delivered], [5, 10, delivered]);
    shared[1]!.deliveryId = shared[0]!.deliveryId;
    expect(checkDeliveryHistory(shared, log, { 0: 10 }).violations).toEqual([expect.stringContaining('names two batches')]);
    const twoIds = history([0, 5, failed], [0, 5, delivered], [5, 10, delivered]);
    twoIds[1]!.deliveryId = 'another';
    expect(checkDeliveryHistory(twoIds, log, { 0: 10 }).violations).toEqual([expect.stringContaining('the same records came under two delivery ids')]);
  });

  it('finds records never acknowledged, and a final position short of the high watermark', () => {
    const violations = checkDeliveryHistory(history([0, 4, delivered], [4, 8, failed]), log, { 0: 4 }).violations;
    expect(violations).toEqual([expect.stringContaining('the final position is 4, the high watermark 10')]);
    const never = checkDeliveryHistory(history([0, 4, delivered], [4, 8, failed]), log, { 0: 10 }).violations;
    expect(never).toContainEqual(expect.stringContaining('offsets 4-9 were never acknowledged'));
  });

  it('finds a partition with records and no deliveries at all', () => {
    const both: LoggedRecord[] = [...log, { partition: 1, offset: 0, value: 'w0' }];
    expect(checkDeliveryHistory(history([0, 10, delivered]), both, { 0: 10, 1: 1 }).violations).toEqual([expect.stringContaining('partition 1: offsets 0 were never acknowledged')]);
  });
});

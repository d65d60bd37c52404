/**
 * What wakes the dispatcher, and how it tells them apart:
 * - a DynamoDB stream batch: HEAD items of the log table (appends to those
 *   partitions) and settings items of the subscriptions table (a
 *   subscription created, altered or reset: its partitions may have
 *   something to deliver now);
 * - a wake-up it asked for itself (a retry's backoff or a batching window is
 *   over): one subscription's partition;
 * - anything else (the daily schedule): a sweep over every active subscription.
 */
import { changedPartitionKeys } from '../log/compactionTrigger.js';
import { CONFIG_SORT_KEY } from './subscriptionItems.js';

export interface WakeEvent {
  wake: { subscription: string; partition: number };
}

/**
 * The input of the wake state machine in AWS: it waits `waitSeconds`, then
 * invokes the dispatcher with `event`.
 */
export interface WakeExecutionInput {
  waitSeconds: number;
  event: WakeEvent;
}

export type DispatchTrigger =
  | { kind: 'changes'; partitionKeys: Set<string>; subscriptions: Set<string> }
  | { kind: 'wake'; subscription: string; partition: number }
  | { kind: 'sweep' };

interface StreamRecordLike {
  eventName?: string;
  dynamodb?: { Keys?: Record<string, { S?: string; N?: string } | undefined> };
}

export function isWakeEvent(event: unknown): event is WakeEvent {
  const wake = (event as Partial<WakeEvent> | undefined)?.wake;
  return typeof wake === 'object' && wake !== null && typeof wake.subscription === 'string' && Number.isSafeInteger(wake.partition);
}

/** The names of subscriptions whose settings item was written (not removed) in a stream batch. */
function changedSubscriptions(records: StreamRecordLike[]): Set<string> {
  const names = new Set<string>();
  for (const record of records) {
    const keys = record.dynamodb?.Keys;
    if (record.eventName !== 'REMOVE' && keys?.sk?.S === CONFIG_SORT_KEY && keys.pk?.S !== undefined) names.add(keys.pk.S);
  }
  return names;
}

export function dispatchTrigger(event: unknown): DispatchTrigger {
  if (isWakeEvent(event)) return { kind: 'wake', subscription: event.wake.subscription, partition: event.wake.partition };
  const partitionKeys = changedPartitionKeys(event);
  if (partitionKeys) {
    const records = (event as { Records: StreamRecordLike[] }).Records;
    return { kind: 'changes', partitionKeys, subscriptions: changedSubscriptions(records) };
  }
  return { kind: 'sweep' };
}

/**
 * The items of the subscriptions table (docs/subscriptions.md, "Storage"):
 * under `pk = <name>`, one settings item and one delivery item per partition.
 * Delivery items carry the subscription's id in their sort key, so that a
 * subscription deleted and created again under the same name never inherits
 * a position (or a lease) of the old one.
 */
import type { Encoding, SubscriptionSettings, SubscriptionState, SubscriptionTarget } from '../../protocol/types.js';

export const CONFIG_SORT_KEY = 'config';

/** The settings item of one subscription. */
export interface SubscriptionItem extends SubscriptionSettings {
  pk: string;
  sk: typeof CONFIG_SORT_KEY;
  /** Random, new at each create: part of every delivery item's key and of every delivery id. */
  id: string;
  name: string;
  topic: string;
  /** The topic's id when the subscription was made: what the log is keyed by, and what the dispatcher finds it by. */
  topicId: string;
  target: SubscriptionTarget;
  /** A webhook's signing secret, sealed (functions/subscriptions/secretSealer.ts). */
  sealedSecret?: string;
  state: SubscriptionState;
  encoding: Encoding;
  createdAt: number;
  /** Where each partition that existed at create starts; a partition added later starts at 0. */
  start: Record<string, number>;
  /** When settings or positions last changed by a route (alter, reset): the change wakes the dispatcher (docs/subscriptions.md). */
  changedAt?: number;
}

/** The delivery item of one partition: its position, its lease and what went wrong. */
export interface DeliveryItem {
  pk: string;
  sk: string;
  partition: number;
  /** The next offset to deliver. */
  position: number;
  /** Failed attempts of the batch at `position`. */
  attempts: number;
  /** Where the batch in retry ends (exclusive): a retry sends the same records, under the same delivery id. */
  batchEnd?: number;
  /** Who holds the lease, until when (epoch ms). */
  leaseOwner?: string;
  leaseUntil?: number;
  /** A failed batch waits until then (epoch ms). */
  retryAt?: number;
  lastError?: string;
  lastDeliveredAt?: number;
  parked: number;
  dropped: number;
  /** Random, new at each settle by a dispatcher: how it recognizes its own write when the answer was lost. */
  settleToken?: string;
}

export function deliverySortKey(id: string, partition: number): string {
  return `p#${id}#${partition}`;
}

export function deliveryPrefix(id: string): string {
  return `p#${id}#`;
}

/** What a partition that has no delivery item yet looks like. */
export function initialDelivery(subscription: SubscriptionItem, partition: number): Omit<DeliveryItem, 'pk' | 'sk'> {
  return { partition, position: subscription.start[String(partition)] ?? 0, attempts: 0, parked: 0, dropped: 0 };
}

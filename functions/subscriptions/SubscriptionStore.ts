/**
 * DynamoDB access for subscriptions: settings items, and the delivery item of
 * each partition with its lease. Every change of a position made by a
 * dispatcher is fenced by the lease (`leaseOwner = me`), the way group
 * commits are fenced by membership: a dispatcher that lost its lease, to an
 * expiry or to a reset, can no longer move a position.
 */
import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { SUBSCRIPTIONS_BY_TOPIC_INDEX } from '../layout/tables.js';
import { batchWriteAll, queryAll, scanAll } from '../storage/bulk.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import type { TransactionPart } from '../transactions/TransactionService.js';
import {
  CONFIG_SORT_KEY,
  deliveryPrefix,
  deliverySortKey,
  initialDelivery,
  type DeliveryItem,
  type SubscriptionItem,
} from './subscriptionItems.js';

/**
 * The item a failed condition answers with (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`),
 * which the error carries in DynamoDB's wire format.
 */
function itemOfFailedCondition(error: unknown): DeliveryItem | undefined {
  const item = (error as { Item?: Record<string, unknown> }).Item;
  return item ? (unmarshall(item as Parameters<typeof unmarshall>[0]) as DeliveryItem) : undefined;
}

export function subscriptionNotFound(name: string): BrookError {
  return new BrookError('SUBSCRIPTION_NOT_FOUND', `subscription "${name}" does not exist`);
}

/** A subscription as one strongly consistent query saw it: settings and the delivery items of its current id. */
export interface SubscriptionSnapshot {
  subscription: SubscriptionItem;
  deliveries: Map<number, DeliveryItem>;
}

/** The settings a `PATCH` may change. */
export type SubscriptionChanges = Partial<
  Pick<SubscriptionItem, 'state' | 'batchSize' | 'maxBatchingWindowMs' | 'maxRetries' | 'maxRecordAgeMs' | 'onFailure'>
>;

/** How a dispatcher settles the batch at a partition's position (all under its lease). */
export interface Settlement {
  /** The new position, when the batch (or part of it) is done with. */
  position?: number;
  attempts: number;
  /** A failed batch: when to try again, and where it ends. */
  retryAt?: number;
  batchEnd?: number;
  /** `null` clears it. */
  lastError?: string | null;
  lastDeliveredAt?: number;
  parked?: number;
  dropped?: number;
  /** Keep the lease until this time (more batches follow); without it the lease is given up. */
  leaseUntil?: number;
}

/** A settle built but not sent (`SubscriptionStore.settleWrite`). */
export interface SettleWrite {
  /** The UpdateItem's input, in the document client's shape (also a `TransactWriteItems` `Update`). */
  update: {
    TableName: string;
    Key: Record<string, unknown>;
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
  /** The `settleToken` it writes. */
  token: string;
  owner: string;
  /** It keeps the lease (`leaseUntil`), rather than giving it up. */
  keepsLease: boolean;
}

/** A settle as a transaction's part (`SubscriptionStore.settlePart`). */
export interface SettlePart extends TransactionPart {
  /** After the transaction committed: the item as it left it, or `undefined` if the lease it keeps was lost since. */
  settled(): Promise<DeliveryItem | undefined>;
}

/** The refusal of a settle in a transaction that finds the settle already made: the transaction landed before, its answer lost. */
export class SettleLanded extends Error {
  override readonly name = 'SettleLanded';
  constructor(readonly item: DeliveryItem) {
    super('the settle was made by an earlier try of the same transaction');
  }
}

/** The refusal of a settle in a transaction whose lease is lost: nothing was written. */
export class SettleLeaseLost extends Error {
  override readonly name = 'SettleLeaseLost';
}

/**
 * The item as it is after `write`, if `write` landed: its token there, and
 * its lease still held when it keeps it; `undefined` otherwise.
 */
function landedIn(found: DeliveryItem | undefined, write: SettleWrite): DeliveryItem | undefined {
  if (found?.settleToken !== write.token) return undefined;
  return !write.keepsLease || found.leaseOwner === write.owner ? found : undefined;
}

export class SubscriptionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes a new subscription; `409 SUBSCRIPTION_EXISTS` if the name is taken. */
  async create(item: SubscriptionItem): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new BrookError('SUBSCRIPTION_EXISTS', `subscription "${item.name}" already exists`);
      throw error;
    }
  }

  /** The settings item, strongly consistent; `undefined` if there is none. */
  async find(name: string): Promise<SubscriptionItem | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: name, sk: CONFIG_SORT_KEY }, ConsistentRead: true }),
    );
    return Item as SubscriptionItem | undefined;
  }

  /** Settings and delivery items in one strongly consistent query; `404 SUBSCRIPTION_NOT_FOUND` if there is none. */
  async snapshot(name: string): Promise<SubscriptionSnapshot> {
    const items = await queryAll<SubscriptionItem | DeliveryItem>(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': name },
      ConsistentRead: true,
    });
    const subscription = items.find((item): item is SubscriptionItem => item.sk === CONFIG_SORT_KEY);
    if (!subscription) throw subscriptionNotFound(name);
    const prefix = deliveryPrefix(subscription.id);
    const deliveries = new Map<number, DeliveryItem>();
    for (const item of items) if (item.sk.startsWith(prefix)) deliveries.set((item as DeliveryItem).partition, item as DeliveryItem);
    return { subscription, deliveries };
  }

  /** Deletes one partition's delivery item (of a subscription that no longer exists). */
  async discard(subscription: SubscriptionItem, partition: number): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) } }));
  }

  /** Every subscription's settings, by name. */
  async list(): Promise<SubscriptionItem[]> {
    const items = await scanAll<SubscriptionItem>(this.doc, {
      TableName: this.table,
      FilterExpression: 'sk = :config',
      ExpressionAttributeValues: { ':config': CONFIG_SORT_KEY },
    });
    return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The subscriptions of one topic (by its id). Eventually consistent: the dispatcher re-reads each one before it delivers. */
  async ofTopic(topicId: string): Promise<SubscriptionItem[]> {
    return queryAll<SubscriptionItem>(this.doc, {
      TableName: this.table,
      IndexName: SUBSCRIPTIONS_BY_TOPIC_INDEX,
      KeyConditionExpression: 'topicId = :topicId',
      ExpressionAttributeValues: { ':topicId': topicId },
    });
  }

  /** Changes settings; `404 SUBSCRIPTION_NOT_FOUND` if there is none. Answers the item as changed. */
  async alter(name: string, changes: SubscriptionChanges): Promise<SubscriptionItem> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    if (entries.length === 0) {
      const item = await this.find(name);
      if (!item) throw subscriptionNotFound(name);
      return item;
    }
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = entries.map(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: name, sk: CONFIG_SORT_KEY },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as SubscriptionItem;
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw subscriptionNotFound(name);
      throw error;
    }
  }

  /**
   * Deletes a subscription: the settings item first (from then on no
   * delivery starts: a dispatcher reads it before each batch), then every
   * delivery item under the name.
   */
  async delete(name: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: name, sk: CONFIG_SORT_KEY }, ConditionExpression: 'attribute_exists(pk)' }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw subscriptionNotFound(name);
      throw error;
    }
    const rest = await queryAll<{ pk: string; sk: string }>(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': name },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    });
    await batchWriteAll(this.doc, this.table, rest.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })));
  }

  /**
   * Moves a partition's position (a reset). It also takes the lease away
   * from any dispatcher and clears a waiting retry: a batch in flight can
   * still arrive, but its dispatcher can no longer move the position.
   */
  async setPosition(subscription: SubscriptionItem, partition: number, position: number): Promise<void> {
    const initial = initialDelivery(subscription, partition);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) },
        UpdateExpression:
          'SET #position = :position, attempts = :zero, #partition = :partition, ' +
          'parked = if_not_exists(parked, :zero), dropped = if_not_exists(dropped, :zero) ' +
          'REMOVE leaseOwner, leaseUntil, retryAt, batchEnd, lastError',
        ExpressionAttributeNames: { '#position': 'position', '#partition': 'partition' },
        ExpressionAttributeValues: { ':position': position, ':zero': 0, ':partition': initial.partition },
      }),
    );
  }

  /** Marks the settings item changed (after a reset): the change is what wakes the dispatcher for this subscription. */
  async touch(name: string, now: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: name, sk: CONFIG_SORT_KEY },
          UpdateExpression: 'SET changedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * Takes the lease of one partition until `leaseUntil`, if nobody holds it
   * and no retry is waiting. Answers the delivery item, or, when the
   * partition is not this caller's to deliver now, until when it is blocked
   * (the lease's expiry or the retry's time, whichever is later).
   */
  async acquire(
    subscription: SubscriptionItem,
    partition: number,
    owner: string,
    now: number,
    leaseUntil: number,
  ): Promise<{ delivery: DeliveryItem } | { blockedUntil: number }> {
    const initial = initialDelivery(subscription, partition);
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) },
          UpdateExpression:
            'SET leaseOwner = :owner, leaseUntil = :until, #partition = :partition, ' +
            '#position = if_not_exists(#position, :start), attempts = if_not_exists(attempts, :zero), ' +
            'parked = if_not_exists(parked, :zero), dropped = if_not_exists(dropped, :zero)',
          ConditionExpression:
            // Not even its own holder takes a held lease again: two runs of one dispatcher exclude each other too.
            '(attribute_not_exists(leaseOwner) OR leaseUntil < :now) ' +
            'AND (attribute_not_exists(retryAt) OR retryAt <= :now)',
          ExpressionAttributeNames: { '#position': 'position', '#partition': 'partition' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': leaseUntil,
            ':now': now,
            ':partition': partition,
            ':start': initial.position,
            ':zero': 0,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { delivery: Attributes as DeliveryItem };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const held = itemOfFailedCondition(error);
      // Our own lease (`owner` is new at each run): the write landed but its answer was lost, and the
      // SDK's retry found the lease taken, by us. As in PartitionLog.putIfAbsent, the item tells.
      if (held?.leaseOwner === owner) return { delivery: held };
      return { blockedUntil: Math.max(held?.leaseUntil ?? 0, held?.retryAt ?? 0) };
    }
  }

  /**
   * The write that settles the batch at a partition's position, only while
   * `owner` holds the lease, built but not sent: `settle` sends it alone,
   * `settlePart` in a transaction with the records a target answered.
   *
   * Each settle writes a token of its own (`settleToken`), and a write that
   * finds its own token is refused: when storage performed the write but its
   * answer was lost, the SDK's retry fails its condition (the lease given up,
   * or the token there), and the item shows the token: the write landed, and
   * counts as done (it is not applied twice).
   */
  settleWrite(subscription: SubscriptionItem, partition: number, owner: string, settlement: Settlement): SettleWrite {
    const token = randomUUID();
    const sets = ['attempts = :attempts', 'settleToken = :token'];
    const removes: string[] = [];
    const adds: string[] = [];
    const values: Record<string, unknown> = { ':owner': owner, ':attempts': settlement.attempts, ':token': token };
    if (settlement.position !== undefined) {
      sets.push('#position = :position');
      values[':position'] = settlement.position;
    }
    const optional = (field: 'retryAt' | 'batchEnd' | 'lastDeliveredAt', value: number | undefined) => {
      if (value === undefined) removes.push(field);
      else {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = value;
      }
    };
    optional('retryAt', settlement.retryAt);
    optional('batchEnd', settlement.batchEnd);
    if (settlement.lastDeliveredAt !== undefined) optional('lastDeliveredAt', settlement.lastDeliveredAt);
    if (settlement.lastError === null) removes.push('lastError');
    else if (settlement.lastError !== undefined) {
      sets.push('lastError = :lastError');
      values[':lastError'] = settlement.lastError;
    }
    for (const field of ['parked', 'dropped'] as const) {
      if (settlement[field]) {
        adds.push(`${field} :${field}`);
        values[`:${field}`] = settlement[field];
      }
    }
    if (settlement.leaseUntil !== undefined) {
      sets.push('leaseUntil = :leaseUntil');
      values[':leaseUntil'] = settlement.leaseUntil;
    } else {
      removes.push('leaseOwner', 'leaseUntil');
    }
    const expression = [`SET ${sets.join(', ')}`, removes.length ? `REMOVE ${removes.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    return {
      update: {
        TableName: this.table,
        Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) },
        UpdateExpression: expression,
        ConditionExpression: 'leaseOwner = :owner AND (attribute_not_exists(settleToken) OR settleToken <> :token)',
        ...(settlement.position !== undefined ? { ExpressionAttributeNames: { '#position': 'position' } } : {}),
        ExpressionAttributeValues: values,
      },
      token,
      owner,
      keepsLease: settlement.leaseUntil !== undefined,
    };
  }

  /**
   * Settles the batch at a partition's position, only while `owner` holds
   * the lease (`settleWrite`). Answers the delivery item as changed, or
   * `undefined` when the lease was lost (nothing was written, or what was
   * written no longer holds the lease it keeps).
   */
  async settle(subscription: SubscriptionItem, partition: number, owner: string, settlement: Settlement): Promise<DeliveryItem | undefined> {
    const write = this.settleWrite(subscription, partition, owner, settlement);
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({ ...write.update, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return Attributes as DeliveryItem;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Our write landed (its answer lost); a settle that keeps the lease still needs to hold it.
      return landedIn(itemOfFailedCondition(error), write);
    }
  }

  /**
   * A settle as a part of a transaction (`TransactionService.commit`'s
   * `with`): the same write, made all or nothing with the transaction's
   * records. When its condition fails, the refusal is a `SettleLanded` if
   * the item shows this very write (a lost answer, retried), else a
   * `SettleLeaseLost`: the transaction wrote nothing. Neither is a
   * `BrookError`, so the transaction leaves the objects of its large
   * batches to the sweep, as for an unknown outcome. After a commit,
   * `settled()` answers the item as the transaction left it, or `undefined`
   * when the lease this settle keeps was taken since.
   */
  settlePart(subscription: SubscriptionItem, partition: number, owner: string, settlement: Settlement): SettlePart {
    const write = this.settleWrite(subscription, partition, owner, settlement);
    const read = () => this.delivery(subscription, partition);
    return {
      writes: [{ Update: write.update }],
      refusal: async () => {
        const found = landedIn(await read(), write);
        return found ? new SettleLanded(found) : new SettleLeaseLost(`the lease of ${subscription.name}/${partition} was lost`);
      },
      settled: async () => landedIn(await read(), write),
    };
  }

  /** One partition's delivery item, strongly consistent. */
  async delivery(subscription: SubscriptionItem, partition: number): Promise<DeliveryItem | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) }, ConsistentRead: true }),
    );
    return Item as DeliveryItem | undefined;
  }

  /** Gives up a lease without changing anything else (if still held). */
  async release(subscription: SubscriptionItem, partition: number, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: subscription.name, sk: deliverySortKey(subscription.id, partition) },
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

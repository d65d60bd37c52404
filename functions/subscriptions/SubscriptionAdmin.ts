/**
 * The subscription routes' work (docs/subscriptions.md): create (target
 * checked, start positions fixed, a webhook's secret made and sealed), list,
 * describe (positions against high watermarks), alter, reset, delete.
 * Delivery itself is the dispatcher's (Dispatcher.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import type {
  CreatedSubscription,
  CreateSubscriptionRequest,
  AlterSubscriptionRequest,
  ResetSubscriptionRequest,
  SubscriptionDescription,
  SubscriptionPartition,
  SubscriptionReset,
  SubscriptionSettings,
  SubscriptionTarget,
  Encoding,
} from '../../protocol/types.js';
import type { PartitionLog } from '../log/PartitionLog.js';
import { readHeadsOf } from '../storage/partitionHeads.js';
import { checkPartition, type Topic, type TopicRegistry } from '../topics/TopicRegistry.js';
import type { SecretSealer } from './secretSealer.js';
import { newWebhookSecret } from '../../protocol/webhookSignature.js';
import { CONFIG_SORT_KEY, initialDelivery, type DeliveryItem, type SubscriptionItem } from './subscriptionItems.js';
import { subscriptionNotFound, type SubscriptionStore } from './SubscriptionStore.js';
import { checkWebhookAddresses, checkWebhookUrl } from './targetAddress.js';

/** The settings a subscription gets when its request leaves them out. */
export const SUBSCRIPTION_DEFAULTS = {
  batchSize: 100,
  maxBatchingWindowMs: 0,
  maxRetries: 10,
  maxRecordAgeMs: -1,
  onFailure: null,
  encoding: 'utf8',
} as const;

/** A create request's settings, defaults filled in. */
export function settingsWithDefaults(request: Omit<CreateSubscriptionRequest, 'name' | 'topic' | 'target' | 'startAt'>): SubscriptionSettings & { encoding: Encoding } {
  return {
    batchSize: request.batchSize ?? SUBSCRIPTION_DEFAULTS.batchSize,
    maxBatchingWindowMs: request.maxBatchingWindowMs ?? SUBSCRIPTION_DEFAULTS.maxBatchingWindowMs,
    maxRetries: request.maxRetries ?? SUBSCRIPTION_DEFAULTS.maxRetries,
    maxRecordAgeMs: request.maxRecordAgeMs ?? SUBSCRIPTION_DEFAULTS.maxRecordAgeMs,
    onFailure: request.onFailure ?? SUBSCRIPTION_DEFAULTS.onFailure,
    encoding: request.encoding ?? SUBSCRIPTION_DEFAULTS.encoding,
  };
}

/** A Lambda function's ARN, optionally with a version or alias. */
export const FUNCTION_ARN_PATTERN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;

export interface SubscriptionAdminOptions {
  store: SubscriptionStore;
  doc: DynamoDBDocumentClient;
  logTable: string;
  topics: Pick<TopicRegistry, 'get' | 'find'>;
  log: Pick<PartitionLog, 'offsetForTimestamp'>;
  sealer: Pick<SecretSealer, 'seal'>;
  /** Webhooks may be plain http and private (the local stack). */
  allowPrivateTargets: boolean;
  /** Local stack: the Lambda targets it can run; a target outside it is refused. In AWS: undefined. */
  localLambdas?: Readonly<Record<string, string>>;
  /** Told of each change that may let delivery go on (in AWS the table's stream tells the dispatcher; locally this does). */
  onChange?: (name: string) => void;
  now?: () => number;
}

export class SubscriptionAdmin {
  private readonly now: () => number;

  constructor(private readonly options: SubscriptionAdminOptions) {
    this.now = options.now ?? Date.now;
  }

  async create(request: CreateSubscriptionRequest): Promise<CreatedSubscription> {
    const { store, topics, sealer } = this.options;
    const topic = await topics.get(request.topic);
    if (request.onFailure) await this.checkParkingTopic(request.onFailure.topic, topic.name);
    await this.checkTarget(request.target);
    const secret = request.target.type === 'http' ? newWebhookSecret() : undefined;
    const item: SubscriptionItem = {
      pk: request.name,
      sk: CONFIG_SORT_KEY,
      id: randomUUID(),
      name: request.name,
      topic: topic.name,
      topicId: topic.topicId,
      target: request.target,
      ...(secret ? { sealedSecret: sealer.seal(secret) } : {}),
      state: 'active',
      ...settingsWithDefaults(request),
      createdAt: this.now(),
      start: await this.startPositions(topic, request.startAt ?? 'latest'),
    };
    await store.create(item);
    this.options.onChange?.(item.name);
    const description = await this.describeItem(item, new Map(), topic);
    return { ...description, target: secret ? { ...item.target, secret } : item.target };
  }

  async list(): Promise<Omit<SubscriptionDescription, 'partitions'>[]> {
    return (await this.options.store.list()).map(settingsOf);
  }

  /** The settings alone (one read): what a rights check needs. */
  async describeSettings(name: string): Promise<Omit<SubscriptionDescription, 'partitions'>> {
    const item = await this.options.store.find(name);
    if (!item) throw subscriptionNotFound(name);
    return settingsOf(item);
  }

  async describe(name: string): Promise<SubscriptionDescription> {
    const { subscription, deliveries } = await this.options.store.snapshot(name);
    return this.describeItem(subscription, deliveries, await this.options.topics.find(subscription.topic));
  }

  async alter(name: string, changes: AlterSubscriptionRequest): Promise<SubscriptionDescription> {
    if (changes.onFailure) {
      const current = await this.options.store.find(name);
      if (!current) throw subscriptionNotFound(name);
      await this.checkParkingTopic(changes.onFailure.topic, current.topic);
    }
    await this.options.store.alter(name, changes);
    this.options.onChange?.(name);
    return this.describe(name);
  }

  async reset(name: string, request: ResetSubscriptionRequest): Promise<{ partitions: SubscriptionReset[] }> {
    const { store, log } = this.options;
    const { subscription, deliveries } = await store.snapshot(name);
    const topic = await this.liveTopic(subscription);
    const partitions = request.partitions ?? Array.from({ length: topic.partitions }, (_, p) => p);
    for (const partition of partitions) checkPartition(topic, partition);
    const heads = await readHeadsOf(this.options.doc, this.options.logTable, topic.topicId, partitions);
    const results: SubscriptionReset[] = [];
    for (const head of heads) {
      const clamp = (offset: number) => Math.min(Math.max(offset, head.logStartOffset), head.highWatermark);
      const before = clamp(positionOf(subscription, deliveries.get(head.partition), head.partition));
      const { to } = request;
      let after: number;
      if (to === 'earliest') after = head.logStartOffset;
      else if (to === 'latest') after = head.highWatermark;
      else if ('offset' in to) after = clamp(to.offset);
      else after = await log.offsetForTimestamp(topic.topicId, head.partition, to.timestamp);
      await store.setPosition(subscription, head.partition, after);
      results.push({ partition: head.partition, before, after });
    }
    // Writing the settings item is what wakes the dispatcher for the new positions.
    await store.touch(name, this.now());
    this.options.onChange?.(name);
    return { partitions: results };
  }

  async delete(name: string): Promise<void> {
    await this.options.store.delete(name);
  }

  /** The topic a subscription reads, if it still exists (a topic deleted and made again is another topic). */
  private async liveTopic(subscription: SubscriptionItem): Promise<Topic> {
    const topic = await this.options.topics.find(subscription.topic);
    if (!topic || topic.topicId !== subscription.topicId) {
      throw new BrookError('TOPIC_NOT_FOUND', `topic "${subscription.topic}" of subscription "${subscription.name}" no longer exists`);
    }
    return topic;
  }

  private async checkParkingTopic(name: string, source: string): Promise<void> {
    if (name === source) throw new BrookError('INVALID_REQUEST', 'onFailure.topic must not be the subscribed topic: parked records would be delivered again');
    await this.options.topics.get(name);
  }

  private async checkTarget(target: SubscriptionTarget): Promise<void> {
    const { allowPrivateTargets, localLambdas } = this.options;
    if (target.type === 'http') {
      await checkWebhookAddresses(checkWebhookUrl(target.url, allowPrivateTargets), allowPrivateTargets);
      return;
    }
    if (!FUNCTION_ARN_PATTERN.test(target.functionArn)) {
      throw new BrookError('INVALID_REQUEST', 'target.functionArn must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])');
    }
    if (localLambdas && !Object.hasOwn(localLambdas, target.functionArn)) {
      throw new BrookError(
        'INVALID_REQUEST',
        `the local stack cannot run ${target.functionArn}: map it to a module in BROOK_LOCAL_LAMBDAS ({"<function ARN>": "<module path>#<export>"})`,
      );
    }
  }

  private async startPositions(topic: Topic, startAt: NonNullable<CreateSubscriptionRequest['startAt']>): Promise<Record<string, number>> {
    const partitions = Array.from({ length: topic.partitions }, (_, p) => p);
    if (startAt === 'earliest') return Object.fromEntries(partitions.map((p) => [String(p), 0]));
    if (startAt === 'latest') {
      const heads = await readHeadsOf(this.options.doc, this.options.logTable, topic.topicId, partitions);
      return Object.fromEntries(heads.map((head) => [String(head.partition), head.highWatermark]));
    }
    const offsets = await Promise.all(partitions.map((p) => this.options.log.offsetForTimestamp(topic.topicId, p, startAt.timestamp)));
    return Object.fromEntries(offsets.map((offset, p) => [String(p), offset]));
  }

  private async describeItem(subscription: SubscriptionItem, deliveries: Map<number, DeliveryItem>, topic: Topic | undefined): Promise<SubscriptionDescription> {
    const live = topic && topic.topicId === subscription.topicId ? topic : undefined;
    const count = live?.partitions ?? 0;
    const heads = count > 0 ? await readHeadsOf(this.options.doc, this.options.logTable, subscription.topicId, Array.from({ length: count }, (_, p) => p)) : [];
    const partitions = heads.map((head): SubscriptionPartition => {
      const delivery = deliveries.get(head.partition);
      const position = Math.min(Math.max(positionOf(subscription, delivery, head.partition), head.logStartOffset), Math.max(head.highWatermark, head.logStartOffset));
      return {
        partition: head.partition,
        position,
        highWatermark: head.highWatermark,
        lag: Math.max(0, head.highWatermark - position),
        attempts: delivery?.attempts ?? 0,
        ...(delivery?.lastError !== undefined ? { lastError: delivery.lastError } : {}),
        ...(delivery?.lastDeliveredAt !== undefined ? { lastDeliveredAt: delivery.lastDeliveredAt } : {}),
        parked: delivery?.parked ?? 0,
        dropped: delivery?.dropped ?? 0,
      };
    });
    return { ...settingsOf(subscription), partitions };
  }
}

function positionOf(subscription: SubscriptionItem, delivery: DeliveryItem | undefined, partition: number): number {
  return delivery?.position ?? initialDelivery(subscription, partition).position;
}

/** What `GET` shows of the settings item: never the sealed secret, the ids or the start map. */
function settingsOf(item: SubscriptionItem): Omit<SubscriptionDescription, 'partitions'> {
  return {
    name: item.name,
    topic: item.topic,
    target: item.target.type === 'http' ? { type: 'http', url: item.target.url } : { type: 'lambda', functionArn: item.target.functionArn },
    state: item.state,
    batchSize: item.batchSize,
    maxBatchingWindowMs: item.maxBatchingWindowMs,
    maxRetries: item.maxRetries,
    maxRecordAgeMs: item.maxRecordAgeMs,
    onFailure: item.onFailure ?? null,
    encoding: item.encoding,
    createdAt: item.createdAt,
  };
}

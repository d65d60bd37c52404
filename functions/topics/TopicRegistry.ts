import { randomBytes } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import type { TopicConfig, TopicDescription, TopicSummary } from '../../protocol/types.js';
import { readPartitionHeads } from '../storage/partitionHeads.js';
import { scanAll } from '../storage/bulk.js';
import { isConditionalCheckFailed, translateStorageError } from '../storage/errors.js';
import type { AlterTopicInput, CreateTopicInput } from './topicConfig.js';
import { DEFAULT_TOPIC_CONFIG, mergeTopicConfig } from './topicSettings.js';

/** A topic as the registry stores it. */
export interface Topic {
  name: string;
  /**
   * Random id fixed at creation. Log items are keyed by it, not by the name,
   * so a deleted topic's data never shows through a new topic of that name.
   */
  topicId: string;
  partitions: number;
  config: TopicConfig;
  createdAt: number;
  /** Bumped by every alter; alters are conditional on it. */
  version: number;
}

/** 404 TOPIC_NOT_FOUND: the one way to say a topic does not exist. */
export function topicNotFound(name: string): BrookError {
  return new BrookError('TOPIC_NOT_FOUND', `topic "${name}" does not exist`);
}

/** Throws 404 PARTITION_NOT_FOUND unless `topic` has partition `partition`. */
export function checkPartition(topic: Pick<Topic, 'name' | 'partitions'>, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) {
    throw new BrookError('PARTITION_NOT_FOUND', `topic "${topic.name}" has no partition ${partition} (it has ${topic.partitions})`);
  }
}

interface TopicItem extends Topic {
  pk: string;
}

/** Marks a deleted topic whose log items and segments still have to be removed. */
export interface DeletedTopicItem {
  pk: string;
  topicId: string;
  name: string;
  partitions: number;
  deletedAt: number;
}

/** Sort of key prefix no topic name can have (`#` is outside the name rule). */
export const DELETED_TOPIC_PREFIX = '#deleted#';

const MAX_ALTER_ATTEMPTS = 5;

/**
 * Topics as this process last read them, by name: what a request guesses a
 * topic's id and partition count from, to read the topic and its partitions
 * in one round trip. Only ever a guess, checked against the topic read with it.
 */
const lastSeen = new Map<string, Topic>();
const LAST_SEEN_LIMIT = 1_000;

function remember(topic: Topic): void {
  lastSeen.delete(topic.name);
  lastSeen.set(topic.name, topic);
  if (lastSeen.size > LAST_SEEN_LIMIT) lastSeen.delete(lastSeen.keys().next().value!);
}

export interface TopicRegistryTables {
  topics: string;
  log: string;
}

/**
 * The topic registry: one item per topic in the topics table. Reads are
 * strongly consistent so a topic is usable as soon as its create returns.
 */
export class TopicRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: TopicRegistryTables,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: CreateTopicInput): Promise<TopicDescription> {
    const topic: Topic = {
      name: input.name,
      topicId: randomBytes(8).toString('hex'),
      partitions: input.partitions ?? 1,
      config: { ...DEFAULT_TOPIC_CONFIG, ...input.config },
      createdAt: this.now(),
      version: 1,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.topics,
          Item: { pk: topic.name, ...topic } satisfies TopicItem,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new BrookError('TOPIC_EXISTS', `topic "${topic.name}" already exists`);
      throw translateStorageError(error);
    }
    return this.describeTopic(topic);
  }

  /** The topic named `name`, or 404 TOPIC_NOT_FOUND. */
  async get(name: string): Promise<Topic> {
    const topic = await this.find(name);
    if (!topic) throw topicNotFound(name);
    return topic;
  }

  async find(name: string): Promise<Topic | undefined> {
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: this.tables.topics, Key: TopicRegistry.itemKey(name), ConsistentRead: true }),
      );
      return this.fromItem(name, result.Item);
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /** The key of topic `name`'s item in the topics table (for reads batched with others; consistent ones). */
  static itemKey(name: string): { pk: string } {
    return { pk: name };
  }

  /** The topic an item read by `itemKey(name)` holds, or undefined when there was none. */
  fromItem(name: string, item: Record<string, unknown> | undefined): Topic | undefined {
    if (!item) {
      lastSeen.delete(name);
      return undefined;
    }
    const topic = toTopic(item as unknown as TopicItem);
    remember(topic);
    return topic;
  }

  /** The topic as this process last read it: a guess to batch reads by, never an answer. */
  lastSeen(name: string): Topic | undefined {
    return lastSeen.get(name);
  }

  /** Every topic, sorted by name. */
  async list(): Promise<TopicSummary[]> {
    const items = await scanAll<TopicSummary>(this.doc, {
      TableName: this.tables.topics,
      ProjectionExpression: '#name, #partitions',
      FilterExpression: 'attribute_exists(#name) AND NOT begins_with(pk, :deleted)',
      ExpressionAttributeNames: { '#name': 'name', '#partitions': 'partitions' },
      ExpressionAttributeValues: { ':deleted': DELETED_TOPIC_PREFIX },
      ConsistentRead: true,
    });
    const topics = items.map(({ name, partitions }) => ({ name, partitions }));
    return topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async describe(name: string): Promise<TopicDescription> {
    return this.describeTopic(await this.get(name));
  }

  /**
   * Grows partitions and changes settings. Conditional on the version read,
   * retried on a concurrent alter, so no change is lost.
   */
  async alter(name: string, changes: AlterTopicInput): Promise<TopicDescription> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(name);
      if (changes.partitions !== undefined && changes.partitions < current.partitions) {
        throw new BrookError(
          'INVALID_CONFIG',
          `partitions can only grow: topic "${name}" has ${current.partitions}, asked for ${changes.partitions}`,
        );
      }
      const next: Topic = {
        ...current,
        partitions: changes.partitions ?? current.partitions,
        config: mergeTopicConfig(current.config, changes.config),
        version: current.version + 1,
      };
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tables.topics,
            Key: { pk: name },
            // Every name goes through a placeholder: several are DynamoDB reserved words.
            UpdateExpression: 'SET #partitions = :partitions, #config = :config, #version = :next',
            ConditionExpression: '#version = :version AND #topicId = :topicId',
            ExpressionAttributeNames: { '#partitions': 'partitions', '#config': 'config', '#version': 'version', '#topicId': 'topicId' },
            ExpressionAttributeValues: {
              ':partitions': next.partitions,
              ':config': next.config,
              ':next': next.version,
              ':version': current.version,
              ':topicId': current.topicId,
            },
          }),
        );
        return this.describeTopic(next);
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateStorageError(error);
        if (attempt >= MAX_ALTER_ATTEMPTS) {
          throw new BrookError('UNAVAILABLE', `topic "${name}" is being changed concurrently; retry`);
        }
      }
    }
  }

  /**
   * Removes the topic at once (the name is free again) and leaves a marker so
   * the background clean-up removes its log items and segments.
   */
  async delete(name: string): Promise<void> {
    const topic = await this.get(name);
    const marker: DeletedTopicItem = {
      pk: `${DELETED_TOPIC_PREFIX}${topic.topicId}`,
      topicId: topic.topicId,
      name: topic.name,
      partitions: topic.partitions,
      deletedAt: this.now(),
    };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tables.topics,
                Key: { pk: name },
                ConditionExpression: '#topicId = :topicId',
                ExpressionAttributeNames: { '#topicId': 'topicId' },
                ExpressionAttributeValues: { ':topicId': topic.topicId },
              },
            },
            { Put: { TableName: this.tables.topics, Item: marker } },
          ],
        }),
      );
    } catch (error) {
      if (isTransactionConditionFailure(error)) {
        throw topicNotFound(name);
      }
      throw translateStorageError(error);
    }
  }

  private async describeTopic(topic: Topic): Promise<TopicDescription> {
    const partitions = await readPartitionHeads(this.doc, this.tables.log, topic.topicId, topic.partitions);
    return { name: topic.name, config: topic.config, partitions };
  }
}

function toTopic(item: TopicItem): Topic {
  const { pk: _pk, ...topic } = item;
  return { ...topic, config: { ...DEFAULT_TOPIC_CONFIG, ...topic.config } };
}

function isTransactionConditionFailure(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] } | undefined)?.CancellationReasons;
  return (
    (error as { name?: string } | undefined)?.name === 'TransactionCanceledException' &&
    Array.isArray(reasons) &&
    reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

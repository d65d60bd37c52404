import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { logPartitionKey } from '../layout/tables.js';
import { batchGetTables, transactGetTables, type TableKeys } from '../storage/bulk.js';
import { TopicRegistry, type Topic, type TopicRegistryTables } from '../topics/TopicRegistry.js';
import { headFromItem, headItemKey, type HeadState } from './headState.js';
import { PRODUCER_ITEM_PREFIX, ProducerRegistry } from './ProducerRegistry.js';

/** A topic as just read, and the HEAD of each partition asked for. */
export interface TopicSnapshot {
  topic: Topic;
  /** By partition; a partition left out (one the topic does not have) is not here. */
  heads: Map<number, HeadState>;
}

export interface SnapshotRequest {
  name: string;
  /** The partitions whose HEAD to read, chosen from the topic (e.g. by the records' keys). */
  partitions(topic: Topic): readonly number[];
}

export interface Snapshot {
  /** By topic name; undefined for a topic that does not exist. */
  topics: Map<string, TopicSnapshot | undefined>;
  /** The producer's current epoch, when a producer id was asked for (undefined: not registered). */
  producerEpoch?: number | undefined;
}

export interface SnapshotOptions {
  /** An idempotent producer whose epoch to read with the rest. */
  producerId?: string;
  /** Only the offsets of HEAD (fetch), not its producer table (produce). */
  offsetsOnly?: boolean;
  /**
   * Read every HEAD at one instant (`TransactGetItems`), so that no
   * transaction is seen on some partitions and not on others: a fetch of
   * several partitions. Twice the read units.
   */
  atomic?: boolean;
}

/** Rounds of reads at most: the first from the guesses, one more when a topic read disagrees with its guess (created again, grown). */
const MAX_GUESS_ROUNDS = 2;

/**
 * The first round trip of produce, fetch and offsets (docs/design.md, "Round
 * trips"): the topics, the HEAD of each partition the request touches and an
 * idempotent producer's epoch, all consistent reads in one BatchGetItem.
 *
 * Which items hold a partition's HEAD depends on the topic's id and partition
 * count, so they are taken from the topic as this process last read it. The
 * topic read in the same batch is the answer: when it disagrees (the topic was
 * deleted, created again or grown), the HEADs are read again from it. A topic
 * the process has not read yet costs one round trip more.
 */
export class SnapshotReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: TopicRegistryTables,
    private readonly registry: TopicRegistry,
  ) {}

  async read(requests: readonly SnapshotRequest[], options: SnapshotOptions = {}): Promise<Snapshot> {
    const names = [...new Set(requests.map((request) => request.name))];
    const topics = new Map<string, Topic | undefined>();
    /** Topics already read in this call: their answer is known. */
    const read = new Set<string>();
    await Promise.all(
      names.map(async (name) => {
        const guess = this.registry.lastSeen(name);
        if (guess) return topics.set(name, guess);
        topics.set(name, await this.registry.find(name));
        read.add(name);
      }),
    );

    for (let round = 1; ; round++) {
      const heads = requests.flatMap(({ name, partitions }) => {
        const topic = topics.get(name);
        if (!topic) return [];
        return [...new Set(partitions(topic))]
          .filter((partition) => Number.isInteger(partition) && partition >= 0 && partition < topic.partitions)
          .map((partition) => ({ name, partition, pk: logPartitionKey(topic.topicId, partition) }));
      });
      const headKeys = [...new Set(heads.map(({ pk }) => pk))].map((pk) => headItemKey(pk));
      const topicKeys = [
        ...names.filter((name) => !read.has(name)).map((name) => TopicRegistry.itemKey(name)),
        ...(options.producerId !== undefined ? [ProducerRegistry.itemKey(options.producerId)] : []),
      ];
      const tables: Record<string, TableKeys> = {};
      if (topicKeys.length > 0) tables[this.tables.topics] = { Keys: topicKeys, ConsistentRead: true };
      if (heads.length > 0) {
        tables[this.tables.log] = {
          Keys: headKeys,
          ConsistentRead: true,
          ...(options.offsetsOnly ? { ProjectionExpression: 'pk, sk, #next, #start', ExpressionAttributeNames: { '#next': 'next', '#start': 'start' } } : {}),
        };
      }
      const readTables = options.atomic && headKeys.length > 1 ? transactGetTables : batchGetTables;
      const found = Object.keys(tables).length > 0 ? await readTables(this.doc, tables) : {};
      const byPk = (table: string) => new Map((found[table] ?? []).map((item) => [item.pk as string, item]));
      const topicItems = byPk(this.tables.topics);
      const headItems = byPk(this.tables.log);

      let guessedWrong = false;
      for (const name of names.filter((n) => !read.has(n))) {
        const guess = topics.get(name);
        const topic = this.registry.fromItem(name, topicItems.get(name));
        // A topic that is gone needs no HEADs; one created again or grown needs the right ones.
        if (topic && (guess?.topicId !== topic.topicId || guess?.partitions !== topic.partitions)) guessedWrong = true;
        topics.set(name, topic);
        read.add(name);
      }
      if (guessedWrong && round < MAX_GUESS_ROUNDS) continue; // the HEADs read were another topic's: read them again

      const snapshot: Snapshot = { topics: new Map() };
      for (const name of names) {
        const topic = topics.get(name);
        snapshot.topics.set(name, topic ? { topic, heads: new Map() } : undefined);
      }
      for (const { name, partition, pk } of heads) {
        const entry = snapshot.topics.get(name);
        if (entry && logPartitionKey(entry.topic.topicId, partition) === pk) entry.heads.set(partition, headFromItem(headItems.get(pk)));
      }
      if (options.producerId !== undefined) {
        snapshot.producerEpoch = topicItems.get(`${PRODUCER_ITEM_PREFIX}${options.producerId}`)?.epoch as number | undefined;
      }
      return snapshot;
    }
  }
}

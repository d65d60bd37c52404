/**
 * The table layout, as plain data: keys, indexes and how items are keyed. The
 * CDK stack and the local stack both build their tables from this one
 * description, so they cannot drift apart; the handlers key their items by it.
 * Runtime-free (no SDK, no middy), so the CDK app can import it. See
 * docs/design.md ("Storage layout") for what each item holds.
 */
export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface TableLayout {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute DynamoDB TTL reads (epoch seconds). Only garbage collection: liveness never depends on it. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes?: readonly { readonly indexName: string; readonly partitionKey: KeyAttribute }[];
  /** A DynamoDB stream of the item keys that change (in AWS): what triggers the compactor and the dispatcher. */
  readonly streamKeys?: boolean;
}

export type TableName = 'log' | 'topics' | 'groups' | 'keys' | 'subscriptions';

export const TABLE_LAYOUTS: Readonly<Record<TableName, TableLayout>> = {
  /** Partition logs: `pk = <topicId>#<partition>`, `sk` = base offset of a batch (the head item sits at -1). */
  log: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' }, streamKeys: true },
  /** Topic registry: `pk = <topic name>`; `#deleted#<topicId>` marks a deleted topic's data for clean-up. */
  topics: { partitionKey: { name: 'pk', type: 'S' } },
  /** Consumer groups: members (leases), assignment and committed offsets under `pk = <group>`. */
  groups: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'ttl',
  },
  /** API keys: `pk` = SHA-256 of the secret, never the secret itself. */
  keys: {
    partitionKey: { name: 'pk', type: 'S' },
    timeToLiveAttribute: 'ttl',
    globalSecondaryIndexes: [{ indexName: 'byKeyId', partitionKey: { name: 'keyId', type: 'S' } }],
  },
  /**
   * Subscriptions: under `pk = <name>`, the settings item (`sk = config`) and
   * one delivery item per partition (`sk = p#<subscription id>#<partition>`:
   * position, lease, attempts). Settings items carry `topicId`, which the
   * dispatcher looks them up by when a partition's HEAD moves.
   */
  subscriptions: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalSecondaryIndexes: [{ indexName: 'byTopicId', partitionKey: { name: 'topicId', type: 'S' } }],
    // A settings item written (created, altered, reset) wakes the dispatcher for that subscription.
    streamKeys: true,
  },
};

export const KEYS_BY_ID_INDEX = 'byKeyId';
export const SUBSCRIPTIONS_BY_TOPIC_INDEX = 'byTopicId';

/**
 * Each partition's log lives under one partition key in the log table; its
 * HEAD item (sort key -1) holds the high watermark `next` and the log start
 * offset `start`. A partition with no HEAD is empty: both are 0. The compactor
 * is triggered by changes to HEAD items only.
 */
export const HEAD_SORT_KEY = -1;

/** The log table's partition key of one partition: `<topicId>#<partition>`. */
export function logPartitionKey(topicId: string, partition: number): string {
  return `${topicId}#${partition}`;
}

/** A partition's HEAD item in the log table. */
export interface HeadItem {
  pk: string;
  sk: typeof HEAD_SORT_KEY;
  /** High watermark: the offset the next record will get. */
  next: number;
  /** Log start offset: the first offset still in the log. */
  start: number;
}

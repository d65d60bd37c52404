/**
 * Wire types of the Brook HTTP API v1, shared by the server, the SDK and the CLI.
 * Field names are the contract's (docs/http.md); do not rename.
 */
import type { ErrorBody } from './errors.js';
import type { Permission } from './permissions.js';

export type CleanupPolicy = 'delete' | 'compact';

export interface TopicConfig {
  /** Milliseconds a record is kept after its append; -1 keeps it forever. @default 604800000 */
  retentionMs: number;
  /** Bytes kept per partition before the oldest data goes; -1 for no limit. @default -1 */
  retentionBytes: number;
  /** `delete` drops old data; `compact` keeps the newest record per key. @default 'delete' */
  cleanupPolicy: CleanupPolicy;
  /** Largest record accepted, in bytes. @default 1048576 */
  maxMessageBytes: number;
}

export interface TopicSummary {
  name: string;
  partitions: number;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
}

export interface TopicDescription {
  name: string;
  config: TopicConfig;
  partitions: PartitionDescription[];
}

export interface CreateTopicRequest {
  name: string;
  partitions?: number;
  config?: Partial<TopicConfig>;
}

export interface AlterTopicRequest {
  partitions?: number;
  /** Keys to change; `null` puts a key back to its default. */
  config?: { [K in keyof TopicConfig]?: TopicConfig[K] | null };
}

export type { Operation, Permission } from './permissions.js';

// ---- produce and fetch (docs/http.md, Produce and Fetch; OpenAPI schemas of the same names) ----

/** How record bytes travel in JSON: `utf8` as text, `base64` exact. @default 'utf8' */
export type Encoding = 'utf8' | 'base64';

/** One record of a JSON produce request; every field is optional. */
export interface ProduceRecord {
  /** In the request's `encoding`; absent or `null` for none. */
  key?: string | null;
  /** Absent or `null` is a tombstone; with `utf8`, a non-string is stored as its JSON text. */
  value?: unknown;
  headers?: Record<string, string>;
  partition?: number;
  /** Epoch ms. @default the time the request is received */
  timestamp?: number;
}

/** An idempotent producer's part of a produce request. */
export interface ProducerClaim {
  id: string;
  epoch: number;
  /** Partition number -> sequence of the first record this request sends there. */
  sequences: Record<string, number>;
}

/** `POST /v1/topics/{topic}/records` JSON body. */
export interface ProduceRequest {
  encoding?: Encoding;
  records: ProduceRecord[];
  producer?: ProducerClaim;
  /** Partition number -> the high watermark the partition must have. */
  expectedOffsets?: Record<string, number>;
}

/** Where one input record went: its offset, or (in a 207) its partition's error. */
export type ProduceResult = { partition: number; offset: number } | { partition: number; error: ErrorBody['error'] };

export interface ProduceResponse {
  /** One entry per input record, in request order. */
  results: ProduceResult[];
}

/** A record as a fetch returns it (OpenAPI `StoredRecord`). */
export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /**
   * Present only when this record's bytes are not in the fetch's encoding:
   * `base64` on a `utf8` fetch, for a record whose key, value or a header
   * value is not valid UTF-8. Then its key, value and every header value
   * are base64.
   */
  encoding?: 'base64';
}

/** One partition's records and offsets: the answer of a one-partition fetch, and an entry of a multi-fetch. */
export interface FetchResponse {
  topic: string;
  partition: number;
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

/** `POST /v1/fetch` body. */
export interface MultiFetchRequest {
  topics: { topic: string; partitions: { partition: number; offset?: number }[] }[];
  maxBytes?: number;
  maxRecordsPerPartition?: number;
  waitMs?: number;
  encoding?: Encoding;
}

/** One requested partition's answer, or its own error. */
export type MultiFetchResult = FetchResponse | { topic: string; partition: number; error: ErrorBody['error'] };

export interface MultiFetchResponse {
  /** One entry per requested partition, in request order. */
  results: MultiFetchResult[];
}

/** `POST /v1/keys` body. */
export interface CreateKeyRequest {
  /** Who the key is for: a name, or an IAM ARN (which IAM callers are matched on). */
  principal: string;
  permissions: Permission[];
  /** Epoch ms, in the future; the key stops working then. Omitted or null: never. */
  expiresAt?: number | null;
}

/** `201` answer of `POST /v1/keys`: the only time `secret` is shown. */
export interface CreatedKey {
  keyId: string;
  secret: string;
  principal: string;
  permissions: Permission[];
  /** `null` when the key never expires. */
  expiresAt?: number | null;
}

/** A key as `GET /v1/keys` lists it: never its secret. */
export interface ApiKey {
  keyId: string;
  principal: string;
  permissions: Permission[];
  /** `null` when the key never expires. */
  expiresAt?: number | null;
  createdAt: number;
}

export interface KeyList {
  keys: ApiKey[];
}

/** A set of partitions of one topic (a member's assignment). */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export type GroupState = 'Empty' | 'Stable' | 'Rebalancing';

/** A committed offset with the partition's high watermark and the lag between them. */
export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
  highWatermark: number;
  lag: number;
}

export interface GroupSummary {
  group: string;
  state: GroupState;
  /** How many live members. */
  members: number;
}

export interface GroupMember {
  memberId: string;
  clientId: string | null;
  instanceId: string | null;
  assignment: TopicPartitions[];
  expiresAt: number;
}

export interface GroupDescription {
  group: string;
  state: GroupState;
  generation: number;
  members: GroupMember[];
  offsets: GroupOffset[];
}

export type ResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: number } | { shiftBy: number };

export interface ResetOffsetsRequest {
  topic: string;
  /** @default every partition of the topic */
  partitions?: number[];
  to: ResetTarget;
  /** Answer what would change, change nothing. @default false */
  dryRun?: boolean;
}

export interface OffsetReset {
  topic: string;
  partition: number;
  /** `null` when the group had no committed offset. */
  before: number | null;
  after: number;
}

// ---------------------------------------------------------------------------
// Subscriptions (docs/subscriptions.md)
// ---------------------------------------------------------------------------

/** Where a subscription delivers: a webhook, or a Lambda function invoked synchronously. */
export type SubscriptionTarget = { type: 'http'; url: string } | { type: 'lambda'; functionArn: string };

/** Where a new subscription starts in each partition. */
export type SubscriptionStart = 'earliest' | 'latest' | { timestamp: number };

/** The settings a subscription is created with, and may change with `PATCH`. */
export interface SubscriptionSettings {
  /** Records per delivery, 1..10000. @default 100 */
  batchSize: number;
  /** How long a partition may wait to fill a batch, 0..300000 ms. @default 0 */
  maxBatchingWindowMs: number;
  /** Retries of a failing batch before it is parked or dropped; -1 retries forever. @default 10 */
  maxRetries: number;
  /** Records older than this (by timestamp) are parked or dropped instead of retried; -1: no limit. @default -1 */
  maxRecordAgeMs: number;
  /** Where records that exhaust their retries are parked. @default none: they are dropped and counted */
  onFailure: { topic: string } | null;
}

/** `POST /v1/subscriptions` body. */
export interface CreateSubscriptionRequest extends Partial<SubscriptionSettings> {
  name: string;
  topic: string;
  target: SubscriptionTarget;
  startAt?: SubscriptionStart;
  encoding?: Encoding;
}

/** `PATCH /v1/subscriptions/{name}` body. */
export interface AlterSubscriptionRequest extends Partial<SubscriptionSettings> {
  state?: SubscriptionState;
}

export type SubscriptionState = 'active' | 'paused';

/** One partition of a subscription: where delivery stands. */
export interface SubscriptionPartition {
  partition: number;
  /** The next offset to deliver. */
  position: number;
  highWatermark: number;
  lag: number;
  /** Failed attempts of the batch at `position` so far. */
  attempts: number;
  lastError?: string;
  /** Epoch ms of the last successful delivery. */
  lastDeliveredAt?: number;
  /** Records parked to `onFailure` so far. */
  parked: number;
  /** Records skipped after their retries, without `onFailure`. */
  dropped: number;
}

/** A subscription as `GET /v1/subscriptions/{name}` shows it (never the webhook secret). */
export interface SubscriptionDescription extends SubscriptionSettings {
  name: string;
  topic: string;
  target: SubscriptionTarget;
  state: SubscriptionState;
  encoding: Encoding;
  createdAt: number;
  partitions: SubscriptionPartition[];
}

/** The answer of `POST /v1/subscriptions`: a webhook's signing secret is shown this once. */
export type CreatedSubscription = Omit<SubscriptionDescription, 'target'> & {
  target: SubscriptionTarget & { secret?: string };
};

/** `POST /v1/subscriptions/{name}/reset` body. */
export interface ResetSubscriptionRequest {
  to: 'earliest' | 'latest' | { timestamp: number } | { offset: number };
  partitions?: number[];
}

export interface SubscriptionReset {
  partition: number;
  before: number;
  after: number;
}

/** The JSON body a target receives: a webhook's POST body, a Lambda function's event. */
export interface DeliveryBatch {
  subscription: string;
  topic: string;
  partition: number;
  /** 1 on the first try of this batch, then 2, 3, ... */
  attempt: number;
  records: FetchedRecord[];
}

/** A record a target answers with, as in `POST /v1/transactions`: on `topic`, in the subscription's `encoding`. */
export interface DeliveryAnswerRecord extends ProduceRecord {
  topic: string;
}

/**
 * What a target may answer: without failures (or with an empty list) the
 * whole batch is delivered. `records` are written in one transaction with
 * the position the answer moves to, so a batch delivered again writes them
 * once (docs/subscriptions.md, "Answers with records").
 */
export interface DeliveryAnswer {
  batchItemFailures?: { itemIdentifier: string }[];
  records?: DeliveryAnswerRecord[];
}

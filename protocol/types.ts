/**
 * Wire types of the Brook HTTP API v1, shared by the server, the SDK and the CLI.
 * Field names are the contract's (docs/http.md); do not rename.
 */
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

/**
 * Wire types of the Brook HTTP API v1, shared by the server, the SDK and the CLI.
 * Field names are the contract's (API.md); do not rename.
 */

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

export type Operation = 'read' | 'write' | 'describe' | 'admin';

export interface Permission {
  /** `topic:<name>`, `topic:<prefix>*`, `group:<name>`, `group:<prefix>*` or `cluster`. */
  resource: string;
  operations: Operation[];
}

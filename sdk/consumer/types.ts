/**
 * The consumer's public shapes: its options, the logger it reports to, the
 * handlers `run` takes and what they receive. `sdk/Consumer.ts` re-exports
 * them; nothing here runs.
 */
import type { TopicPartitions } from '../../protocol/types.js';
import type { KafkaMessage } from '../messages.js';
import type { RetryOptions } from '../retry.js';

export interface ConsumerOptions {
  readonly groupId: string;
  /** @default 30000 (the server's default; 6000..300000) */
  readonly sessionTimeoutMs?: number;
  readonly clientId?: string;
  /**
   * Heartbeat at most this often apart. A member learns of a rebalance (a
   * partition handed to it after another left) at its next heartbeat, so this
   * bounds hand-over time; each heartbeat is one request (1 write unit).
   * @default the server's: a third of the session timeout
   */
  readonly heartbeatIntervalMs?: number;
  /** Static membership: a restart with the same id takes back its partitions without a rebalance. */
  readonly instanceId?: string;
  /** @default true */
  readonly autoCommit?: boolean;
  /** @default 5000 */
  readonly autoCommitIntervalMs?: number;
  /** Long poll: how long a fetch waits for data. @default 1000 */
  readonly maxWaitTimeMs?: number;
  /** @default 4194304 */
  readonly maxBytes?: number;
  /** @default 500 */
  readonly maxRecordsPerPartition?: number;
  readonly retry?: RetryOptions;
  /**
   * Where the consumer reports what it recovers from by itself (a failed
   * heartbeat, a handler that threw, a commit on revoke that failed).
   * @default `console.error`, a Brook error as one line, anything else with its stack
   */
  readonly logger?: ConsumerLogger;
}

/** Receives the consumer's reports; `error` is what went wrong. */
export interface ConsumerLogger {
  error(message: string, error: unknown): void;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: number;
  messages: KafkaMessage[];
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks `offset` (and everything before) processed: the next commit stores `offset + 1`. */
  resolveOffset(offset: number): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(): Promise<void>;
  /** False once the consumer stops or the partition moved away: stop processing the batch. */
  isRunning(): boolean;
}

export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  /** With `eachBatch`: resolve every message of a batch when the handler returns. @default true */
  eachBatchAutoResolve?: boolean;
  /**
   * Partitions this member just got, before any of their messages is handled
   * (their start positions are known: `seek` here to start elsewhere).
   */
  onPartitionsAssigned?: (partitions: TopicPartitions[]) => Promise<void> | void;
  /**
   * Partitions moving to another member (a rebalance, or `disconnect`): called
   * after the last of their messages was handled and, with `autoCommit`, after
   * their positions were committed, and before the move is acknowledged. With
   * `autoCommit: false`, call `commitOffsets()` here so that the next owner
   * starts where this one stopped.
   */
  onPartitionsRevoked?: (partitions: TopicPartitions[]) => Promise<void> | void;
  /** Partitions taken away without a chance to commit (this member's lease expired). */
  onPartitionsLost?: (partitions: TopicPartitions[]) => Promise<void> | void;
  /**
   * The consumer stopped for good on an error no retry can fix (a revoked or
   * refused key, a deleted topic, ...): it has left the group. Retriable
   * errors never end here; they are retried.
   */
  onCrash?: (error: unknown) => void;
}

/** An offset to commit: `offset` is the next one to read, as in Kafka. */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * A group member as a transaction's commit names it (`transaction.sendOffsets`):
 * what `consumer.groupMetadata()` answers while the consumer is a member.
 */
export interface ConsumerGroupMetadata {
  /** The group id. */
  group: string;
  memberId: string;
  /** The generation the member acknowledged last (what its commits carry). */
  generation: number;
}

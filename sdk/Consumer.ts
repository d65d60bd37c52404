/**
 * The consumer, shaped like kafkajs's: `subscribe`, then `run({ eachMessage })`
 * or `run({ eachBatch })`. One member of a consumer group (docs/groups.md):
 *
 * - joins, then heartbeats in the background every `heartbeatIntervalMs`
 *   (sooner while the group is rebalancing), whatever the handlers are doing;
 * - cooperative rebalancing: a partition that leaves the assignment stops
 *   being consumed; once the message in hand is done, the fetch loop commits
 *   its position, calls `onPartitionsRevoked`, and only then acknowledges the
 *   new generation, which is what hands the partition over. Until then the
 *   heartbeats keep the old generation. `MEMBER_NOT_FOUND` (the lease
 *   expired) makes it call `onPartitionsLost` and join again;
 * - fetches every owned, unpaused partition in one long poll (`POST /v1/fetch`
 *   with `waitMs`), with exact bytes (`encoding=base64`, turned into Buffers);
 * - starts a partition at the group's committed offset, else at the log start
 *   (`fromBeginning`) or the high watermark; an `OFFSET_OUT_OF_RANGE` resets
 *   the same way;
 * - commits positions (the next offset to read) every `autoCommitIntervalMs`
 *   and on disconnect, then leaves the group.
 *
 * At least once: a message handed to `eachMessage` is committed only after
 * the handler resolves; a handler that throws stops that partition's batch
 * and the messages are fetched again on the next round.
 *
 * This class is the facade; the work is done in `consumer/`, split as kafkajs
 * splits its consumer: `Membership` (join, heartbeats, leave, generations),
 * `Runner` (the fetch loop, handlers, pause/seek, rebalance hooks) and
 * `OffsetManager` (positions, start offsets, commits).
 */
import { BrookError } from '../protocol/errors.js';
import type { TopicPartitions } from '../protocol/types.js';
import type { HttpTransport } from './http.js';
import { ConsumerContext } from './consumer/context.js';
import { Membership } from './consumer/Membership.js';
import { OffsetManager } from './consumer/OffsetManager.js';
import { tp, toTopicPartitions } from './consumer/partitionKeys.js';
import { Runner } from './consumer/Runner.js';
import type { ConsumerGroupMetadata, ConsumerOptions, RunOptions, TopicPartitionOffset } from './consumer/types.js';

export type { KafkaMessage } from './messages.js';
export type {
  Batch,
  ConsumerGroupMetadata,
  ConsumerLogger,
  ConsumerOptions,
  EachBatchPayload,
  EachMessagePayload,
  RunOptions,
  TopicPartitionOffset,
} from './consumer/types.js';

export class Consumer {
  readonly #context: ConsumerContext;
  readonly #membership: Membership;
  readonly #offsets: OffsetManager;
  readonly #runner: Runner;

  constructor(http: HttpTransport, options: ConsumerOptions) {
    if (!options?.groupId) throw new TypeError('a consumer needs a groupId');
    this.#context = new ConsumerContext(http, options);
    this.#membership = new Membership(this.#context, {
      joined: () => this.#offsets.clear(),
      revoking: () => this.#runner.wake(),
      fatal: (error) => void this.#crash(error),
    });
    this.#offsets = new OffsetManager(this.#context, this.#membership);
    this.#runner = new Runner(this.#context, this.#membership, this.#offsets);
  }

  async connect(): Promise<void> {}

  /** Topics to consume; may be called more than once before `run`. */
  async subscribe(subscription: { topics?: string[]; topic?: string; fromBeginning?: boolean }): Promise<void> {
    if (this.#context.running) throw new BrookError('INVALID_REQUEST', 'subscribe before run', { origin: 'sdk' });
    const topics = [...(subscription.topics ?? []), ...(subscription.topic ? [subscription.topic] : [])];
    if (topics.length === 0) throw new TypeError('subscribe needs a topic');
    const current = this.#context.subscription;
    current.topics = [...new Set([...current.topics, ...topics])];
    current.fromBeginning = subscription.fromBeginning ?? current.fromBeginning;
  }

  /** Joins the group and starts consuming in the background; resolves once joined. */
  async run(options: RunOptions): Promise<void> {
    if (!options.eachMessage && !options.eachBatch) throw new TypeError('run needs eachMessage or eachBatch');
    if (this.#context.subscription.topics.length === 0) throw new TypeError('subscribe before run');
    if (this.#context.running) throw new BrookError('INVALID_REQUEST', 'the consumer is already running', { origin: 'sdk' });
    this.#context.running = true;
    this.#runner.handlers = options;
    this.#offsets.startClock();
    await this.#membership.join();
    if (!this.#context.running) {
      // disconnect() was called while joining: leave at once rather than hold partitions until the lease ends
      await this.#membership.leave();
      return;
    }
    this.#runner.start(options, (error) => this.#crash(error));
  }

  /** The partitions this member may consume now. */
  assignment(): TopicPartitions[] {
    return toTopicPartitions(this.#membership.assigned);
  }

  /** Next fetch of that partition starts at `offset`. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: number }): void {
    this.#runner.seek(tp(topic, partition), offset);
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topics) this.#runner.pause(topic, partitions);
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topics) this.#runner.resume(topic, partitions);
  }

  paused(): TopicPartitions[] {
    return toTopicPartitions(this.#runner.paused());
  }

  /**
   * Stops fetching, hands every partition back (commit, then
   * `onPartitionsRevoked`), then leaves: the group moves the partitions at once.
   */
  async disconnect(): Promise<void> {
    if (!this.#context.running && !this.#membership.member) return;
    this.#halt();
    await this.#runner.stopped();
    await this.#membership.heartbeatDone();
    if (this.#membership.member) {
      await this.#runner.revoke(this.#membership.owned());
      await this.#membership.leave();
    }
    this.#membership.clearAssignment();
  }

  /**
   * Commits `offsets` (each the next offset to read), or, without arguments,
   * the position of every partition this member still owns that moved since
   * its last commit. Fenced by the server: a member that lost a partition
   * cannot commit it.
   */
  async commitOffsets(offsets?: TopicPartitionOffset[]): Promise<void> {
    await this.#offsets.commit(offsets);
  }

  /**
   * The group, member id and generation of this member now (what a
   * transaction's `sendOffsets` commits under, as Kafka's `groupMetadata()`);
   * undefined while it is not a member (before `run`, while joining again,
   * after `disconnect`).
   */
  groupMetadata(): ConsumerGroupMetadata | undefined {
    const member = this.#membership.member;
    return member && { group: this.#context.options.groupId, memberId: member.memberId, generation: member.generation };
  }

  /**
   * The group's committed offsets as the server has them now (each the next
   * offset to read), of `partitions` or of every partition committed.
   */
  async committed(partitions?: { topic: string; partition: number }[]): Promise<TopicPartitionOffset[]> {
    const committed = await this.#offsets.fetchCommitted();
    const wanted = partitions && new Set(partitions.map(({ topic, partition }) => tp(topic, partition)));
    return committed
      .filter(({ topic, partition }) => !wanted || wanted.has(tp(topic, partition)))
      .map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  /** @internal Whether positions are committed outside transactions (`autoCommit`). */
  get autoCommits(): boolean {
    return this.#context.autoCommit;
  }

  /** Stops for good on an error no retry fixes: leaves the group (no commit: it may be what failed) and reports it. */
  async #crash(error: unknown): Promise<void> {
    if (!this.#context.running) return;
    if (!this.#runner.handlers?.onCrash) this.#context.log(`brook consumer ${this.#context.options.groupId} stopped`, error);
    this.#halt();
    await this.#membership.leave();
    this.#membership.clearAssignment();
    this.#runner.handlers?.onCrash?.(error);
  }

  /** No more heartbeats, no more fetching: the long poll in flight ends at once. */
  #halt(): void {
    this.#context.running = false;
    this.#membership.stopHeartbeats();
    this.#runner.wake();
  }
}

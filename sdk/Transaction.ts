/**
 * A producer's transaction, shaped like kafkajs's: `send` / `sendBatch` buffer
 * messages (nothing goes to the server), `sendOffsets` adds a consumer group
 * member's commits, `commit()` writes all of it in one `POST /v1/transactions`
 * (docs/http.md, Transactions): visible together or not at all. `abort()`
 * drops the buffer; since nothing was sent, nothing is undone.
 *
 * - Partitions are chosen when a message is buffered, by the producer's own
 *   partitioner (its `partition`, else murmur2 of its key, else one partition
 *   per call, round-robin across calls), so a key lands where `send` puts it.
 * - With an idempotent producer, the commit carries a producer claim: the
 *   producer's id and epoch, and per topic and partition the next sequence of
 *   the producer's own numbering. It runs in each partition's turn, after the
 *   producer's earlier batches there and before its later ones, and moves the
 *   numbering on when it succeeds. Retriable failures are retried (the
 *   producer's retry policy) with the same claim, so a commit whose answer
 *   was lost is answered with its original offsets and written once. When the
 *   outcome stays unknown (retries used up) the producer takes a new epoch,
 *   as after a lost batch.
 * - Nothing is split: a transaction over DynamoDB's limits (100 items: 2 per
 *   partition written and 1 per committed offset; 4 MB) is the server's
 *   `413 REQUEST_TOO_LARGE`.
 */
import { BrookError } from '../protocol/errors.js';
import type { ProducerRecord as BatchRecord } from '../protocol/recordBatch.js';
import type { Consumer } from './Consumer.js';
import type { ConsumerGroupMetadata } from './consumer/types.js';
import { segment, type HttpTransport } from './http.js';
import type { Message, ProducerBatch, ProducerRecord, RecordMetadata } from './producerMessages.js';
import { isRetriable, retry, type RetryOptions } from './retry.js';

/** Offsets a transaction commits for a consumer group member, kafkajs's `sendOffsets` shape. */
export interface TransactionOffsets {
  /**
   * The member committing: a `Consumer` (its group, member id and generation
   * when the transaction commits, `consumer.groupMetadata()`), or those three
   * given. The member must own each partition, as for any commit.
   */
  consumer: Consumer | ConsumerGroupMetadata;
  /** Each `offset` is the next offset to read (the last one processed + 1), as in Kafka. */
  topics: { topic: string; partitions: { partition: number; offset: number | string; metadata?: string | null }[] }[];
}

/** What a transaction is doing: taking messages, committing, or over (and how it ended). */
export type TransactionState = 'open' | 'committing' | 'committed' | 'aborted' | 'failed';

/** An idempotent producer's registration, as the producer keeps it. */
interface SequencedIdentity {
  readonly id: string;
  readonly epoch: number;
  /** Next sequence per `topic\0partition`, for this epoch only. */
  readonly sequences: Map<string, number>;
}

/** What a transaction needs of its producer (Producer.ts makes it). */
export interface TransactionHost {
  readonly http: HttpTransport;
  readonly retry: RetryOptions;
  readonly idempotent: boolean;
  disconnected(): boolean;
  /** One call's messages as batch records, and each one's partition as `send` would choose it. */
  place(topic: string, messages: Message[]): Promise<{ records: BatchRecord[]; partitions: number[] }>;
  /** Drops a topic's cached partition count (it was not found, or lacked a partition). */
  forgetTopic(topic: string): void;
  /** Runs `commit` after the producer's earlier batches to these `topic\0partition`s and before its later ones. */
  exclusive<T>(keys: string[], commit: () => Promise<T>): Promise<T>;
  identity(): Promise<SequencedIdentity>;
  /** The outcome under this identity is unknown, or its sequences were refused: take a new epoch. */
  retire(identity: SequencedIdentity): void;
  isRetired(identity: SequencedIdentity): boolean;
}

interface Buffered {
  topic: string;
  partition: number;
  record: BatchRecord;
}

interface OffsetEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const sdkError = (code: 'INVALID_REQUEST' | 'REBALANCE_IN_PROGRESS', message: string) => new BrookError(code, message, { origin: 'sdk' });

/** A record of the transaction's body: exact bytes, in base64. */
function wireRecord({ topic, partition, record }: Buffered) {
  const headers: Record<string, string> = {};
  for (const header of record.headers) {
    if (header.name in headers) throw new TypeError(`header "${header.name}" is repeated: a transaction's message carries one value per header`);
    headers[header.name] = base64(header.value);
  }
  return {
    topic,
    partition,
    key: record.key === null ? null : base64(record.key),
    value: record.value === null ? null : base64(record.value),
    ...(record.headers.length > 0 ? { headers } : {}),
    timestamp: record.timestamp,
  };
}

export class Transaction {
  readonly #host: TransactionHost;
  #state: TransactionState = 'open';
  /** One slot per `send` call, in call order, filled once its partitions are chosen. */
  #slots: (Buffered[] | undefined)[] = [];
  readonly #placing = new Set<Promise<void>>();
  #sendFailure: { error: unknown } | undefined;
  #expectedOffsets: Record<string, Record<string, number>> = {};
  #offsets: { member: Consumer | ConsumerGroupMetadata; entries: Map<string, OffsetEntry> } | undefined;

  /** @internal Made by `producer.transaction()`. */
  constructor(host: TransactionHost) {
    this.#host = host;
  }

  /** Whether the transaction still takes messages (neither committed, nor committing, nor aborted, nor failed). */
  isActive(): boolean {
    return this.#state === 'open';
  }

  get state(): TransactionState {
    return this.#state;
  }

  /**
   * Buffers `messages` for `topic` (nothing is sent): resolves once their
   * partitions are chosen. `expectedOffsets` makes the commit conditional on
   * those partitions' high watermarks (`OFFSET_MISMATCH` otherwise).
   */
  async send(record: ProducerRecord): Promise<void> {
    this.#checkOpen('send to');
    const { topic, messages, expectedOffsets } = record ?? {};
    if (typeof topic !== 'string' || topic === '') throw new TypeError('send needs a topic');
    if (!Array.isArray(messages) || messages.length === 0) throw new TypeError('send needs at least one message');
    const slot = this.#slots.length;
    this.#slots.push(undefined);
    const placing = (async () => {
      try {
        const { records, partitions } = await this.#host.place(topic, messages);
        const buffered = records.map((one, i) => ({ topic, partition: partitions[i]!, record: one }));
        buffered.forEach(wireRecord); // a repeated header fails now, not at commit
        if (this.#state !== 'open' && this.#state !== 'committing') return; // aborted meanwhile
        this.#slots[slot] = buffered;
        for (const [partition, offset] of Object.entries(expectedOffsets ?? {})) {
          (this.#expectedOffsets[topic] ??= {})[partition] = offset;
        }
      } catch (error) {
        this.#sendFailure ??= { error };
        throw error;
      }
    })();
    this.#placing.add(placing);
    try {
      await placing;
    } finally {
      this.#placing.delete(placing);
    }
  }

  /** `send` for several topics; the messages keep the order of `topicMessages`, then of messages. */
  async sendBatch(batch: ProducerBatch): Promise<void> {
    this.#checkOpen('send to');
    await Promise.all(batch.topicMessages.map((record) => this.send(record)));
  }

  /**
   * Commits these offsets of a consumer group with the messages (kafkajs's
   * `sendOffsets`, with the member instead of the `consumerGroupId`): the
   * input's new position and the output are written together. A partition
   * named again takes its last offset.
   */
  async sendOffsets(offsets: TransactionOffsets): Promise<void> {
    this.#checkOpen('send offsets to');
    const member = offsets?.consumer;
    if (!member || typeof member !== 'object') throw new TypeError('sendOffsets needs the consumer (or { group, memberId, generation })');
    if (this.#offsets && this.#offsets.member !== member) throw new TypeError("a transaction commits one member's offsets");
    const entries = this.#offsets?.entries ?? new Map<string, OffsetEntry>();
    for (const { topic, partitions } of offsets.topics ?? []) {
      for (const { partition, offset, metadata } of partitions) {
        const next = typeof offset === 'string' ? Number(offset) : offset;
        if (!Number.isSafeInteger(next) || next < 0) throw new TypeError(`offset ${String(offset)} of ${topic}/${partition} is not an offset`);
        entries.set(key(topic, partition), { topic, partition, offset: next, ...(metadata !== undefined ? { metadata } : {}) });
      }
    }
    this.#offsets = { member, entries };
  }

  /**
   * Writes every buffered message and the offsets in one `POST /v1/transactions`,
   * all or nothing, and answers each message's `{ topic, partition, offset }`
   * in the order they were sent. With offsets only, it is one commit
   * of the group; with neither, it sends nothing. A commit that fails wrote
   * nothing, unless its outcome is unknown (a retriable error after the
   * retries); either way the transaction is over.
   */
  async commit(): Promise<RecordMetadata[]> {
    this.#checkOpen('commit');
    if (this.#host.disconnected()) throw sdkError('INVALID_REQUEST', 'the producer is disconnected');
    this.#state = 'committing';
    try {
      await Promise.allSettled([...this.#placing]);
      if (this.#sendFailure) throw this.#sendFailure.error;
      const results = await this.#commit(this.#slots.flatMap((slot) => slot ?? []));
      this.#state = 'committed';
      return results;
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  /** Drops what was buffered: nothing was sent, so nothing is written. The transaction is over. */
  async abort(): Promise<void> {
    if (this.#state === 'committing') throw sdkError('INVALID_REQUEST', 'the transaction is committing: it cannot be aborted now');
    if (this.#state === 'committed') throw sdkError('INVALID_REQUEST', 'the transaction is committed: it cannot be aborted');
    if (this.#state === 'open') this.#state = 'aborted';
    this.#slots = [];
    this.#offsets = undefined;
    this.#expectedOffsets = {};
  }

  #checkOpen(what: string): void {
    if (this.#state !== 'open') throw sdkError('INVALID_REQUEST', `cannot ${what} a transaction that is ${this.#state}`);
  }

  #member(): ConsumerGroupMetadata | undefined {
    const member = this.#offsets?.member;
    if (!member) return undefined;
    const metadata = 'groupMetadata' in member && typeof member.groupMetadata === 'function' ? member.groupMetadata() : (member as ConsumerGroupMetadata);
    if (!metadata) throw sdkError('REBALANCE_IN_PROGRESS', 'the consumer is not a member of its group now (joining again, or disconnected): nothing was committed');
    return metadata;
  }

  async #commit(records: Buffered[]): Promise<RecordMetadata[]> {
    const offsets = [...(this.#offsets?.entries.values() ?? [])];
    const member = offsets.length > 0 ? this.#member() : undefined;
    if (records.length === 0) {
      if (member) await this.#commitOffsetsOnly(member, offsets);
      return [];
    }
    const body = {
      encoding: 'base64',
      records: records.map(wireRecord),
      ...(member ? { offsets: { group: member.group, memberId: member.memberId, generation: member.generation, offsets } } : {}),
      ...(Object.keys(this.#expectedOffsets).length > 0 ? { expectedOffsets: this.#expectedOffsets } : {}),
    };
    const counts = new Map<string, { topic: string; partition: number; count: number }>();
    for (const { topic, partition } of records) {
      const entry = counts.get(key(topic, partition)) ?? { topic, partition, count: 0 };
      entry.count++;
      counts.set(key(topic, partition), entry);
    }
    try {
      return await this.#host.exclusive([...counts.keys()], () => this.#post(body, counts));
    } catch (error) {
      if (error instanceof BrookError && (error.code === 'TOPIC_NOT_FOUND' || error.code === 'PARTITION_NOT_FOUND')) {
        for (const topic of new Set(records.map((record) => record.topic))) this.#host.forgetTopic(topic);
      }
      throw error;
    }
  }

  /** The transaction's request, with the producer's claim when idempotent; retried as the producer retries a batch. */
  async #post(body: object, counts: Map<string, { topic: string; partition: number; count: number }>): Promise<RecordMetadata[]> {
    const { http } = this.#host;
    const post = (json: object, shouldRetry: (error: unknown) => boolean, onRetriable: () => void = () => undefined) =>
      retry(
        async () => {
          try {
            return (await http.request<{ results: RecordMetadata[] }>('POST', '/v1/transactions', { json })).body.results;
          } catch (error) {
            if (isRetriable(error)) onRetriable();
            throw error;
          }
        },
        this.#host.retry,
        shouldRetry,
      );
    if (!this.#host.idempotent) {
      // Without a claim a retry after a lost answer could write twice: only a throttled request is tried again.
      return post(body, (error) => error instanceof BrookError && error.code === 'THROTTLED');
    }
    for (let attempt = 0; ; attempt++) {
      const identity = await this.#host.identity();
      const sequences: Record<string, Record<string, number>> = {};
      for (const [k, { topic, partition }] of counts) (sequences[topic] ??= {})[String(partition)] = identity.sequences.get(k) ?? 0;
      /** Whether a try may have been written (no answer, or a retriable one): then the sequences may be spent. */
      let uncertain = false;
      try {
        const results = await post({ ...body, producer: { id: identity.id, epoch: identity.epoch, sequences } }, isRetriable, () => (uncertain = true));
        for (const [k, { count }] of counts) identity.sequences.set(k, (identity.sequences.get(k) ?? 0) + count);
        return results;
      } catch (error) {
        const code = error instanceof BrookError ? error.code : undefined;
        // A send on another partition moved the producer to a new epoch before this commit went: go again under it.
        if (code === 'PRODUCER_FENCED' && !uncertain && attempt === 0 && this.#host.isRetired(identity)) continue;
        // Unknown outcome, or sequences the server lost or refused: a new epoch restarts the numbering.
        if (uncertain || code === 'OUT_OF_ORDER_SEQUENCE' || code === 'UNKNOWN_PRODUCER') this.#host.retire(identity);
        throw error;
      }
    }
  }

  /** A transaction of offsets only: one commit of the member (a `POST /v1/transactions` needs a record). */
  async #commitOffsetsOnly(member: ConsumerGroupMetadata, offsets: OffsetEntry[]): Promise<void> {
    await retry(
      () =>
        this.#host.http.request('POST', `/v1/groups/${segment(member.group)}/offsets`, {
          json: { memberId: member.memberId, generation: member.generation, offsets },
        }),
      this.#host.retry,
    );
  }
}

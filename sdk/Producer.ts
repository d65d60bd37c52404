/**
 * The producer, shaped like kafkajs's: `send` / `sendBatch` answer one
 * `{topic, partition, offset}` per message.
 *
 * - Partitions are chosen here, as the server would choose them: a message's
 *   `partition`, else Kafka's murmur2 partitioner on the key (protocol/partitioner.ts),
 *   else one partition per call for keyless messages, round-robin across calls.
 *   The partition count comes from describing the topic once (cached for
 *   `metadataMaxAgeMs`, dropped on `TOPIC_NOT_FOUND` / `PARTITION_NOT_FOUND`).
 * - Each partition's messages go as one binary record batch
 *   (`application/vnd.brook.batch`, protocol/recordBatch.ts), gzip when it pays.
 * - Idempotent by default: the producer registers once (`POST /v1/producers`),
 *   numbers each partition's records from 0, and retries a batch with the same
 *   sequence numbers, so a retry of a batch the server already appended
 *   appends nothing and answers the original offsets. Batches to one
 *   partition go one at a time, in call order. When the outcome of a batch
 *   stays unknown (retries used up), the producer registers again under its
 *   id: the new epoch restarts the sequences, so a later batch is never taken
 *   for a duplicate of a lost one.
 * - Transactions (`transaction()`, Transaction.ts): messages on any topics
 *   and a consumer's offsets written together by one `POST /v1/transactions`,
 *   in each partition's turn with the batches, under the same sequences.
 * - Not idempotent (`idempotent: false`): only `THROTTLED` is retried, since
 *   any other failure may have appended the batch (S2's `noSideEffects`).
 *
 * - Lingering: with `lingerMs` > 0, messages for one partition from several
 *   `send` calls wait up to `lingerMs` (or until `batchBytes`) and go as one
 *   batch; with 0 (the default) each call's messages go at once, on their own.
 * - A bounded buffer: a `send` that would take more than `bufferBytes`
 *   waiting or in flight waits for room (backpressure), or with
 *   `onBufferFull: 'reject'` fails at once with a retriable `THROTTLED`,
 *   instead of growing memory without end.
 */
import { BrookError } from '../protocol/errors.js';
import { partitionForKey } from '../protocol/partitioner.js';
import { encodeBatch, NO_PRODUCER, RECORD_BATCH_CONTENT_TYPE, type ProducerRecord as BatchRecord } from '../protocol/recordBatch.js';
import type { ProduceResponse, TopicDescription } from '../protocol/types.js';
import { errorFromResponse, segment, type HttpTransport } from './http.js';
import { approximateSize, toBatchRecord, type Message, type ProducerBatch, type ProducerRecord, type RecordMetadata } from './producerMessages.js';
import { isRetriable, retry, type RetryOptions } from './retry.js';
import { Transaction, type TransactionHost } from './Transaction.js';

export type { Bytes, Message, MessageHeaders, ProducerBatch, ProducerRecord, RecordMetadata } from './producerMessages.js';

export interface ProducerOptions {
  /** Register with the server and number batches so retries never duplicate. @default true */
  readonly idempotent?: boolean;
  /** `auto` gzips a batch when that saves a tenth of its bytes. @default 'auto' */
  readonly compression?: 'none' | 'gzip' | 'auto';
  /** How long a topic's partition count is trusted. @default 300000 */
  readonly metadataMaxAgeMs?: number;
  readonly retry?: RetryOptions;
  /**
   * How long a partition's messages may wait for more before they are sent,
   * so many `send` calls share one request. 0 sends each call's messages at once. @default 0
   */
  readonly lingerMs?: number;
  /** A lingering batch is sent once it holds this many bytes. @default 1048576 */
  readonly batchBytes?: number;
  /** The most bytes of messages waiting or in flight; beyond it, see `onBufferFull`. @default 33554432 */
  readonly bufferBytes?: number;
  /**
   * What a `send` does when the buffer is full: wait for room, or reject at
   * once with a retriable `THROTTLED` error (nothing of that call is sent). @default 'wait'
   */
  readonly onBufferFull?: 'wait' | 'reject';
}

/** Messages for one partition waiting to go as one batch. */
interface Accumulator {
  readonly records: BatchRecord[];
  readonly waiters: { count: number; resolve: (offsets: number[]) => void; reject: (error: unknown) => void }[];
  bytes: number;
  /** Ends the wait (full, flushed, or not lingering). */
  close: () => void;
  closed: boolean;
}

interface Identity {
  readonly id: string;
  readonly epoch: number;
  /** Next sequence per `topic\0partition`, for this epoch only. */
  readonly sequences: Map<string, number>;
}

export class Producer {
  readonly #http: HttpTransport;
  readonly #idempotent: boolean;
  readonly #compression: 'none' | 'gzip' | 'auto';
  readonly #metadataMaxAgeMs: number;
  readonly #retry: RetryOptions;
  readonly #lingerMs: number;
  readonly #batchBytes: number;
  readonly #bufferBytes: number;
  readonly #onBufferFull: 'wait' | 'reject';
  /** The accumulating batch of each `topic\0partition`, while it still takes messages. */
  readonly #open = new Map<string, Accumulator>();
  #bufferedBytes = 0;
  #drained: { promise: Promise<void>; resolve: () => void } | undefined;

  readonly #metadata = new Map<string, { partitions: Promise<number>; at: number }>();
  readonly #roundRobin = new Map<string, number>();
  /** The last batch sent to each `topic\0partition`: the next waits for it. */
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #registration: Promise<Identity> | undefined;
  #identity: Identity | undefined;
  /** Epochs this producer gave up itself (so `PRODUCER_FENCED` under them is expected). */
  readonly #retired = new WeakSet<Identity>();
  #disconnected = false;
  #host: TransactionHost | undefined;

  constructor(http: HttpTransport, options: ProducerOptions = {}) {
    this.#http = http;
    this.#idempotent = options.idempotent ?? true;
    this.#compression = options.compression ?? 'auto';
    this.#metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
    this.#retry = options.retry ?? {};
    this.#lingerMs = options.lingerMs ?? 0;
    this.#batchBytes = options.batchBytes ?? 1_048_576;
    this.#bufferBytes = options.bufferBytes ?? 33_554_432;
    this.#onBufferFull = options.onBufferFull ?? 'wait';
  }

  /** Registers the idempotent producer now rather than on the first send. */
  async connect(): Promise<void> {
    this.#disconnected = false;
    if (this.#idempotent) await this.#currentIdentity();
  }

  /** The producer id and epoch the server gave, once registered. */
  get producerIdentity(): { id: string; epoch: number } | undefined {
    return this.#identity && { id: this.#identity.id, epoch: this.#identity.epoch };
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#disconnected) throw new BrookError('INVALID_REQUEST', 'the producer is disconnected', { origin: 'sdk' });
    const sending = this.#send(record);
    this.#inFlight.add(sending);
    try {
      return await sending;
    } finally {
      this.#inFlight.delete(sending);
    }
  }

  /** Several topics at once; the answers are in the order of `topicMessages`, then of messages. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const results = await Promise.all(batch.topicMessages.map((record) => this.send(record)));
    return results.flat();
  }

  /**
   * A transaction (kafkajs's shape): messages buffered by `send` / `sendBatch`
   * and a consumer's offsets by `sendOffsets`, all written by `commit()` in one
   * `POST /v1/transactions`, visible together or not at all; `abort()` drops
   * them (nothing was sent). Partitions are chosen as `send` chooses them; with
   * an idempotent producer the commit carries the producer's own sequences, so
   * its retries never write twice.
   */
  transaction(): Transaction {
    if (this.#disconnected) throw new BrookError('INVALID_REQUEST', 'the producer is disconnected', { origin: 'sdk' });
    return new Transaction((this.#host ??= this.#transactionHost()));
  }

  /** Sends lingering batches now and waits for every send under way. */
  async flush(): Promise<void> {
    for (const accumulator of this.#open.values()) accumulator.close();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Flushes, then refuses further sends. */
  async disconnect(): Promise<void> {
    this.#disconnected = true;
    await this.flush();
  }

  async #send({ topic, messages, expectedOffsets }: ProducerRecord): Promise<RecordMetadata[]> {
    if (typeof topic !== 'string' || topic === '') throw new TypeError('send needs a topic');
    if (!Array.isArray(messages) || messages.length === 0) throw new TypeError('send needs at least one message');
    const now = Date.now();
    const records = messages.map((message) => toBatchRecord(message, now));
    const partitions = await this.#assignPartitions(topic, messages, records);
    const sizes = records.map(approximateSize);
    await this.#reserveBuffer(sizes.reduce((sum, size) => sum + size, 0));

    const byPartition = new Map<number, number[]>();
    partitions.forEach((partition, i) => {
      const indexes = byPartition.get(partition) ?? [];
      indexes.push(i);
      byPartition.set(partition, indexes);
    });
    const results = new Array<RecordMetadata>(messages.length);
    const outcomes = await Promise.allSettled(
      [...byPartition].map(async ([partition, indexes]) => {
        const bytes = indexes.reduce((sum, i) => sum + sizes[i]!, 0);
        const offsets = await this.#enqueue(topic, partition, indexes.map((i) => records[i]!), bytes, expectedOffsets?.[partition]);
        indexes.forEach((messageIndex, i) => (results[messageIndex] = { topic, partition, offset: offsets[i]! }));
      }),
    );
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) {
      const error = failed.reason as unknown;
      if (error instanceof BrookError && (error.code === 'TOPIC_NOT_FOUND' || error.code === 'PARTITION_NOT_FOUND')) {
        this.#metadata.delete(topic);
      }
      throw error;
    }
    return results;
  }

  async #partitionCount(topic: string, refresh = false): Promise<number> {
    const cached = this.#metadata.get(topic);
    if (cached && !refresh && Date.now() - cached.at < this.#metadataMaxAgeMs) return cached.partitions;
    const partitions = retry(
      async () => (await this.#http.request<TopicDescription>('GET', `/v1/topics/${segment(topic)}`)).body.partitions.length,
      this.#retry,
    );
    const entry = { partitions, at: Date.now() };
    this.#metadata.set(topic, entry);
    partitions.catch(() => {
      if (this.#metadata.get(topic) === entry) this.#metadata.delete(topic);
    });
    return partitions;
  }

  async #assignPartitions(topic: string, messages: Message[], records: BatchRecord[]): Promise<number[]> {
    let count = await this.#partitionCount(topic);
    const highest = messages.reduce((max, message) => Math.max(max, message.partition ?? -1), -1);
    if (highest >= count) count = await this.#partitionCount(topic, true); // the topic may have grown
    let sticky: number | undefined;
    return messages.map((message, i) => {
      const { partition } = message;
      if (partition !== undefined) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
          throw new BrookError('PARTITION_NOT_FOUND', `topic "${topic}" has no partition ${partition} (it has ${count})`, { origin: 'sdk' });
        }
        return partition;
      }
      const key = records[i]!.key;
      if (key !== null) return partitionForKey(key, count);
      if (sticky === undefined) {
        const next = this.#roundRobin.get(topic) ?? 0;
        this.#roundRobin.set(topic, next + 1);
        sticky = next % count;
      }
      return sticky;
    });
  }

  /** Waits (or rejects) while the buffer is full: what is waiting or in flight, plus `bytes`, over `bufferBytes`. */
  async #reserveBuffer(bytes: number): Promise<void> {
    while (this.#bufferedBytes > 0 && this.#bufferedBytes + bytes > this.#bufferBytes) {
      if (this.#onBufferFull === 'reject') {
        throw new BrookError('THROTTLED', `the producer's buffer is full (${this.#bufferedBytes} of ${this.#bufferBytes} bytes waiting or in flight)`, {
          origin: 'sdk',
        });
      }
      if (!this.#drained) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.#drained = { promise, resolve };
      }
      for (const accumulator of this.#open.values()) accumulator.close(); // no point lingering when full
      await this.#drained.promise;
    }
    this.#bufferedBytes += bytes;
  }

  #releaseBuffer(bytes: number): void {
    this.#bufferedBytes -= bytes;
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.resolve();
  }

  /**
   * Adds one call's records for a partition to the partition's open batch (or
   * a new one) and answers their offsets once it is appended. Batches to one
   * partition go one after another, so their sequence numbers arrive in order.
   */
  #enqueue(topic: string, partition: number, records: BatchRecord[], bytes: number, expectedOffset?: number): Promise<number[]> {
    const key = `${topic}\u0000${partition}`;
    let accumulator = this.#open.get(key);
    if (accumulator && (expectedOffset !== undefined || accumulator.bytes + bytes > this.#batchBytes)) accumulator.close();
    if (!accumulator || accumulator.closed) accumulator = this.#newBatch(topic, partition, key, expectedOffset);
    const answer = new Promise<number[]>((resolve, reject) => accumulator.waiters.push({ count: records.length, resolve, reject }));
    accumulator.records.push(...records);
    accumulator.bytes += bytes;
    if (this.#lingerMs === 0 || expectedOffset !== undefined || accumulator.bytes >= this.#batchBytes) accumulator.close();
    return answer;
  }

  #newBatch(topic: string, partition: number, key: string, expectedOffset?: number): Accumulator {
    let closeWait!: () => void;
    const closedNow = new Promise<void>((resolve) => (closeWait = resolve));
    let timer: NodeJS.Timeout | undefined;
    const accumulator: Accumulator = {
      records: [],
      waiters: [],
      bytes: 0,
      closed: false,
      close: () => {
        if (accumulator.closed) return;
        accumulator.closed = true;
        clearTimeout(timer);
        if (this.#open.get(key) === accumulator) this.#open.delete(key);
        closeWait();
      },
    };
    this.#open.set(key, accumulator);
    if (this.#lingerMs > 0) timer = setTimeout(accumulator.close, this.#lingerMs);
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const sent = Promise.all([previous.catch(() => undefined), closedNow]).then(() =>
      this.#appendBatch(topic, partition, key, accumulator.records, expectedOffset),
    );
    this.#tails.set(key, sent);
    void sent.then(
      (offsets) => {
        let at = 0;
        for (const waiter of accumulator.waiters) {
          waiter.resolve(offsets.slice(at, at + waiter.count));
          at += waiter.count;
        }
      },
      (error: unknown) => {
        for (const waiter of accumulator.waiters) waiter.reject(error);
      },
    ).finally(() => {
      this.#releaseBuffer(accumulator.bytes);
      if (this.#tails.get(key) === sent) this.#tails.delete(key);
    });
    return accumulator;
  }

  async #appendBatch(topic: string, partition: number, key: string, records: BatchRecord[], expectedOffset?: number): Promise<number[]> {
    const path = `/v1/topics/${segment(topic)}/records`;
    const post = async (body: Uint8Array, shouldRetry: (error: unknown) => boolean) => {
      const response = await retry(
        () => this.#http.request<ProduceResponse>('POST', path, {
          query: { partition, expectedOffset },
          body,
          contentType: RECORD_BATCH_CONTENT_TYPE,
        }),
        this.#retry,
        shouldRetry,
      );
      // A binary produce writes one partition: it fails as a whole (an error status), never per record.
      return response.body.results.map((result) => {
        if ('error' in result) throw errorFromResponse(response.status, { error: result.error }, response.requestId);
        return result.offset;
      });
    };

    if (!this.#idempotent) {
      const body = encodeBatch(records, { producer: NO_PRODUCER, compression: this.#compression });
      return post(body, (error) => error instanceof BrookError && error.code === 'THROTTLED');
    }

    for (let attempt = 0; ; attempt++) {
      const identity = await this.#currentIdentity();
      const baseSequence = identity.sequences.get(key) ?? 0;
      const body = encodeBatch(records, {
        producer: { producerId: Number(identity.id), producerEpoch: identity.epoch, baseSequence },
        compression: this.#compression,
      });
      try {
        const offsets = await post(body, isRetriable);
        identity.sequences.set(key, baseSequence + records.length);
        return offsets;
      } catch (error) {
        const code = error instanceof BrookError ? error.code : undefined;
        // Another partition's failure moved us to a new epoch while this batch waited: send it again under that epoch.
        if (code === 'PRODUCER_FENCED' && this.#retired.has(identity) && attempt === 0) continue;
        // Unknown outcome, or the server lost or refused our sequence: a new epoch restarts the numbering.
        if (isRetriable(error) || code === 'OUT_OF_ORDER_SEQUENCE' || code === 'UNKNOWN_PRODUCER') this.#renewEpoch(identity);
        throw error;
      }
    }
  }

  /** What a transaction needs of this producer: its partitioner, its per-partition order, its identity and sequences. */
  #transactionHost(): TransactionHost {
    return {
      http: this.#http,
      retry: this.#retry,
      idempotent: this.#idempotent,
      disconnected: () => this.#disconnected,
      place: async (topic, messages) => {
        const now = Date.now();
        const records = messages.map((message) => toBatchRecord(message, now));
        return { records, partitions: await this.#assignPartitions(topic, messages, records) };
      },
      forgetTopic: (topic) => void this.#metadata.delete(topic),
      exclusive: (keys, commit) => {
        // Lingering batches of these partitions go now; the commit comes after them and before any later batch.
        for (const key of keys) this.#open.get(key)?.close();
        const previous = keys.map((key) => (this.#tails.get(key) ?? Promise.resolve()).catch(() => undefined));
        const run = Promise.all(previous).then(commit);
        for (const key of keys) this.#tails.set(key, run);
        this.#inFlight.add(run);
        void run
          .catch(() => undefined)
          .finally(() => {
            this.#inFlight.delete(run);
            for (const key of keys) if (this.#tails.get(key) === run) this.#tails.delete(key);
          });
        return run;
      },
      identity: () => this.#currentIdentity(),
      retire: (identity) => this.#renewEpoch(identity as Identity),
      isRetired: (identity) => this.#retired.has(identity as Identity),
    };
  }

  #renewEpoch(identity: Identity): void {
    if (this.#identity === identity && !this.#retired.has(identity)) {
      this.#retired.add(identity);
      this.#registration = undefined;
    }
  }

  async #currentIdentity(): Promise<Identity> {
    if (!this.#registration) {
      const previousId = this.#identity?.id;
      const registration = retry(async () => {
        const response = await this.#http.request<{ id: string; epoch: number }>('POST', '/v1/producers', {
          json: previousId === undefined ? {} : { id: previousId },
        });
        return { id: response.body.id, epoch: response.body.epoch, sequences: new Map<string, number>() };
      }, this.#retry);
      this.#registration = registration;
      registration.then(
        (identity) => {
          if (this.#registration === registration) this.#identity = identity;
        },
        () => {
          if (this.#registration === registration) this.#registration = undefined;
        },
      );
    }
    const identity = await this.#registration;
    this.#identity ??= identity;
    return identity;
  }
}

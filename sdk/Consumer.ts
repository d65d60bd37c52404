/**
 * The consumer, shaped like kafkajs's: `subscribe`, then `run({ eachMessage })`
 * or `run({ eachBatch })`. One member of a consumer group (docs/groups.md):
 *
 * - joins, then heartbeats in the background every `heartbeatIntervalMs`
 *   (sooner while the group is rebalancing, with the generation it was just
 *   given: that acknowledgement is what hands partitions over); a partition
 *   that leaves the assignment stops being consumed and its position is
 *   committed before the acknowledgement (cooperative rebalancing);
 *   `MEMBER_NOT_FOUND` makes it join again;
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
 */
import { BrookError } from '../protocol/errors.js';
import { segment, type HttpTransport } from './http.js';
import { isRetriable, retry, type RetryOptions } from './retry.js';
import type { TopicPartitions } from '../protocol/types.js';

export interface ConsumerOptions {
  readonly groupId: string;
  /** @default 30000 (the server's default; 6000..300000) */
  readonly sessionTimeoutMs?: number;
  readonly clientId?: string;
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
}

export interface KafkaMessage {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
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
}

interface WireRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

type FetchResult =
  | { topic: string; partition: number; records: WireRecord[]; nextOffset: number; highWatermark: number; logStartOffset: number }
  | { topic: string; partition: number; error: { code: string; message: string } };

interface Membership {
  memberId: string;
  generation: number;
  heartbeatIntervalMs: number;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const untp = (key: string): [string, number] => {
  const [topic, partition] = key.split('\u0000');
  return [topic!, Number(partition)];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toMessage(record: WireRecord): KafkaMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) headers[name] = Buffer.from(value, 'base64');
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key, 'base64'),
    value: record.value === null ? null : Buffer.from(record.value, 'base64'),
    headers,
  };
}

export class Consumer {
  readonly #http: HttpTransport;
  readonly #options: ConsumerOptions;
  readonly #retry: RetryOptions;
  readonly #group: string;

  #topics: string[] = [];
  #fromBeginning = false;
  #membership: Membership | undefined;
  /** Partitions this member may consume now. */
  #assigned = new Set<string>();
  /** Next offset to read, per owned partition. */
  readonly #positions = new Map<string, number>();
  /** Positions last committed. */
  readonly #committed = new Map<string, number>();
  readonly #paused = new Set<string>();
  /** Seeks waiting to be applied by the fetch loop. */
  readonly #seeks = new Map<string, number>();
  #running = false;
  #loop: Promise<void> | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #heartbeating: Promise<void> | undefined;
  #lastCommitAt = 0;

  constructor(http: HttpTransport, options: ConsumerOptions) {
    if (!options?.groupId) throw new TypeError('a consumer needs a groupId');
    this.#http = http;
    this.#options = options;
    this.#retry = options.retry ?? {};
    this.#group = segment(options.groupId);
  }

  async connect(): Promise<void> {}

  /** Topics to consume; may be called more than once before `run`. */
  async subscribe(subscription: { topics?: string[]; topic?: string; fromBeginning?: boolean }): Promise<void> {
    if (this.#running) throw new BrookError('INVALID_REQUEST', 'subscribe before run', { origin: 'sdk' });
    const topics = [...(subscription.topics ?? []), ...(subscription.topic ? [subscription.topic] : [])];
    if (topics.length === 0) throw new TypeError('subscribe needs a topic');
    this.#topics = [...new Set([...this.#topics, ...topics])];
    this.#fromBeginning = subscription.fromBeginning ?? this.#fromBeginning;
  }

  /** Joins the group and starts consuming in the background; resolves once joined. */
  async run(options: RunOptions): Promise<void> {
    if (!options.eachMessage && !options.eachBatch) throw new TypeError('run needs eachMessage or eachBatch');
    if (this.#topics.length === 0) throw new TypeError('subscribe before run');
    if (this.#running) throw new BrookError('INVALID_REQUEST', 'the consumer is already running', { origin: 'sdk' });
    this.#running = true;
    await this.#join();
    this.#loop = this.#fetchLoop(options).catch((error: unknown) => {
      console.error(`brook consumer ${this.#options.groupId} stopped:`, error);
      this.#running = false;
    });
  }

  /** The partitions this member may consume now. */
  assignment(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const key of this.#assigned) {
      const [topic, partition] = untp(key);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition].sort((a, b) => a - b));
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** Next fetch of that partition starts at `offset`. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: number }): void {
    this.#seeks.set(tp(topic, partition), offset);
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topics) {
      for (const key of this.#matching(topic, partitions)) this.#paused.add(key);
    }
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topics) {
      for (const key of [...this.#paused]) {
        const [t, p] = untp(key);
        if (t === topic && (!partitions || partitions.includes(p))) this.#paused.delete(key);
      }
    }
  }

  paused(): TopicPartitions[] {
    return [...this.#paused].map(untp).map(([topic, partition]) => ({ topic, partitions: [partition] }));
  }

  /** Commits what was processed, then commits and leaves: the group moves its partitions at once. */
  async disconnect(): Promise<void> {
    if (!this.#running && !this.#membership) return;
    this.#running = false;
    clearTimeout(this.#heartbeatTimer);
    await this.#loop;
    await this.#heartbeating?.catch(() => undefined);
    if (this.#membership) {
      if (this.#options.autoCommit ?? true) await this.commitOffsets().catch(() => undefined);
      await this.#http.request('DELETE', `/v1/groups/${this.#group}/members/${segment(this.#membership.memberId)}`).catch(() => undefined);
      this.#membership = undefined;
    }
    this.#assigned.clear();
  }

  /** Commits the position of every owned partition that moved since its last commit. */
  async commitOffsets(keys: Iterable<string> = this.#assigned): Promise<void> {
    const membership = this.#membership;
    if (!membership) return;
    const offsets = [...keys]
      .filter((key) => this.#positions.has(key) && this.#positions.get(key) !== this.#committed.get(key))
      .map((key) => {
        const [topic, partition] = untp(key);
        return { key, topic, partition, offset: this.#positions.get(key)! };
      });
    if (offsets.length === 0) return;
    this.#lastCommitAt = Date.now();
    await retry(
      () =>
        this.#http.request('POST', `/v1/groups/${this.#group}/offsets`, {
          json: {
            memberId: membership.memberId,
            generation: membership.generation,
            offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
          },
        }),
      this.#retry,
    );
    for (const { key, offset } of offsets) this.#committed.set(key, offset);
  }

  #matching(topic: string, partitions: number[] | undefined): string[] {
    if (partitions) return partitions.map((p) => tp(topic, p));
    return [...this.#assigned].filter((key) => untp(key)[0] === topic);
  }

  async #join(): Promise<void> {
    const body = {
      topics: this.#topics,
      ...(this.#options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.#options.sessionTimeoutMs } : {}),
      ...(this.#options.clientId !== undefined ? { clientId: this.#options.clientId } : {}),
      ...(this.#options.instanceId !== undefined ? { instanceId: this.#options.instanceId } : {}),
    };
    const response = await retry(
      () =>
        this.#http.request<Membership & { assignment: TopicPartitions[] }>('POST', `/v1/groups/${this.#group}/members`, { json: body }),
      this.#retry,
    );
    const { memberId, generation, heartbeatIntervalMs, assignment } = response.body;
    this.#membership = { memberId, generation, heartbeatIntervalMs };
    this.#positions.clear();
    this.#committed.clear();
    this.#setAssignment(assignment);
    this.#scheduleHeartbeat(heartbeatIntervalMs);
  }

  #setAssignment(assignment: TopicPartitions[]): string[] {
    const next = new Set(assignment.flatMap(({ topic, partitions }) => partitions.map((p) => tp(topic, p))));
    const lost = [...this.#assigned].filter((key) => !next.has(key));
    this.#assigned = next;
    return lost;
  }

  #scheduleHeartbeat(delayMs: number): void {
    clearTimeout(this.#heartbeatTimer);
    if (!this.#running) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeating = this.#heartbeat();
    }, delayMs);
    this.#heartbeatTimer.unref();
  }

  /** One heartbeat; schedules the next. Lost partitions are committed before the new generation is acknowledged. */
  async #heartbeat(): Promise<void> {
    const membership = this.#membership;
    if (!membership || !this.#running) return;
    let nextDelay = membership.heartbeatIntervalMs;
    try {
      const response = await this.#http.request<{ generation: number; assignment: TopicPartitions[]; rebalancing: boolean }>(
        'POST',
        `/v1/groups/${this.#group}/members/${segment(membership.memberId)}/heartbeat`,
        { json: { generation: membership.generation } },
      );
      const { generation, assignment, rebalancing } = response.body;
      const lost = this.#setAssignment(assignment);
      if (lost.length > 0) {
        // We still own them until we acknowledge: commit what was processed, then forget them.
        if (this.#options.autoCommit ?? true) await this.commitOffsets(lost).catch(() => undefined);
        for (const key of lost) {
          this.#positions.delete(key);
          this.#committed.delete(key);
        }
      }
      if (generation !== membership.generation || rebalancing) {
        membership.generation = generation;
        nextDelay = Math.min(nextDelay, 200);
      }
    } catch (error) {
      if (error instanceof BrookError && error.code === 'MEMBER_NOT_FOUND' && this.#running) {
        this.#assigned.clear();
        this.#membership = undefined;
        try {
          await this.#join();
          return;
        } catch {
          nextDelay = 1_000;
        }
      } else if (!isRetriable(error)) {
        console.error(`brook consumer ${this.#options.groupId}: heartbeat failed:`, error);
      } else {
        nextDelay = Math.min(nextDelay, 500);
      }
    }
    this.#scheduleHeartbeat(nextDelay);
  }

  /** Where to start a partition the member just got: the committed offset, else the log start or end. */
  async #startPositions(keys: string[]): Promise<void> {
    const committed = (
      await retry(
        () => this.#http.request<{ offsets: { topic: string; partition: number; offset: number }[] }>('GET', `/v1/groups/${this.#group}/offsets`),
        this.#retry,
      )
    ).body.offsets;
    await Promise.all(
      keys.map(async (key) => {
        const [topic, partition] = untp(key);
        const found = committed.find((entry) => entry.topic === topic && entry.partition === partition);
        const offset = found ? found.offset : await this.#resetOffset(topic, partition);
        this.#positions.set(key, offset);
        this.#committed.set(key, offset);
      }),
    );
  }

  async #resetOffset(topic: string, partition: number): Promise<number> {
    const at = this.#fromBeginning ? 'earliest' : 'latest';
    const response = await retry(
      () => this.#http.request<{ offset: number }>('GET', `/v1/topics/${segment(topic)}/partitions/${partition}/offsets`, { query: { at } }),
      this.#retry,
    );
    return response.body.offset;
  }

  async #fetchLoop(options: RunOptions): Promise<void> {
    const maxWaitTimeMs = this.#options.maxWaitTimeMs ?? 1_000;
    while (this.#running) {
      for (const [key, offset] of this.#seeks) {
        if (this.#assigned.has(key)) this.#positions.set(key, offset);
      }
      this.#seeks.clear();
      const fresh = [...this.#assigned].filter((key) => !this.#positions.has(key));
      if (fresh.length > 0) {
        try {
          await this.#startPositions(fresh);
        } catch (error) {
          console.error(`brook consumer ${this.#options.groupId}: cannot find start offsets:`, error);
          await sleep(500);
          continue;
        }
      }
      const wanted = [...this.#assigned].filter((key) => !this.#paused.has(key) && this.#positions.has(key));
      if (wanted.length === 0) {
        await sleep(100);
        continue;
      }
      const byTopic = new Map<string, { partition: number; offset: number }[]>();
      for (const key of wanted) {
        const [topic, partition] = untp(key);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset: this.#positions.get(key)! }]);
      }
      let results: FetchResult[];
      try {
        results = (
          await this.#http.request<{ results: FetchResult[] }>('POST', '/v1/fetch', {
            json: {
              topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
              waitMs: maxWaitTimeMs,
              encoding: 'base64',
              ...(this.#options.maxBytes !== undefined ? { maxBytes: this.#options.maxBytes } : {}),
              ...(this.#options.maxRecordsPerPartition !== undefined ? { maxRecordsPerPartition: this.#options.maxRecordsPerPartition } : {}),
            },
            extraTimeoutMs: maxWaitTimeMs,
          })
        ).body.results;
      } catch (error) {
        if (!this.#running) return;
        if (!isRetriable(error)) console.error(`brook consumer ${this.#options.groupId}: fetch failed:`, error);
        await sleep(500);
        continue;
      }
      for (const result of results) {
        if (!this.#running) break;
        await this.#process(result, options);
      }
      if ((this.#options.autoCommit ?? true) && Date.now() - this.#lastCommitAt >= (this.#options.autoCommitIntervalMs ?? 5_000)) {
        await this.commitOffsets().catch(() => undefined);
      }
    }
  }

  async #process(result: FetchResult, options: RunOptions): Promise<void> {
    const key = tp(result.topic, result.partition);
    if ('error' in result) {
      if (result.error.code === 'OFFSET_OUT_OF_RANGE' && this.#assigned.has(key)) {
        this.#positions.set(key, await this.#resetOffset(result.topic, result.partition).catch(() => this.#positions.get(key)!));
      }
      return;
    }
    const owned = () => this.#running && this.#assigned.has(key) && !this.#paused.has(key) && !this.#seeks.has(key);
    if (!owned() || result.records.length === 0) return;
    const messages = result.records.map(toMessage);
    const heartbeat = async () => {};
    if (options.eachBatch) {
      let resolved: number | undefined;
      await options.eachBatch({
        batch: { topic: result.topic, partition: result.partition, highWatermark: result.highWatermark, messages },
        resolveOffset: (offset) => {
          resolved = Math.max(resolved ?? -1, offset);
          if (owned()) this.#positions.set(key, offset + 1);
        },
        heartbeat,
        commitOffsetsIfNecessary: () => this.commitOffsets(),
        isRunning: owned,
      });
      if ((options.eachBatchAutoResolve ?? true) && owned()) this.#positions.set(key, result.nextOffset);
      return;
    }
    for (const message of messages) {
      if (!owned()) return;
      let pausedByHandler = false;
      try {
        await options.eachMessage!({
          topic: result.topic,
          partition: result.partition,
          message,
          heartbeat,
          pause: () => {
            pausedByHandler = true;
            this.#paused.add(key);
            return () => this.#paused.delete(key);
          },
        });
      } catch (error) {
        console.error(`brook consumer ${this.#options.groupId}: eachMessage failed on ${result.topic}/${result.partition}@${message.offset}:`, error);
        await sleep(200);
        return; // fetched again from the same position
      }
      if (this.#assigned.has(key) && !this.#seeks.has(key)) this.#positions.set(key, message.offset + 1);
      if (pausedByHandler) return;
    }
  }
}

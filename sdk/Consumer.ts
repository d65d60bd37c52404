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
 */
import { BrookError } from '../protocol/errors.js';
import { segment, type HttpTransport } from './http.js';
import { isRetriable, retry, type RetryOptions } from './retry.js';
import type { TopicPartitions } from '../protocol/types.js';
import { toMessage, type KafkaMessage, type WireRecord } from './messages.js';

export type { KafkaMessage } from './messages.js';

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

const consoleLogger: ConsumerLogger = {
  error: (message, error) =>
    error instanceof BrookError ? console.error(`${message}: ${error.code}: ${error.message}`) : console.error(`${message}:`, error),
};

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

type FetchResult =
  | { topic: string; partition: number; records: WireRecord[]; nextOffset: number; highWatermark: number; logStartOffset: number }
  | { topic: string; partition: number; error: { code: string; message: string } };

interface Membership {
  memberId: string;
  /** The generation sent in heartbeats: the last one acknowledged. */
  generation: number;
  /** The newest generation the group answered with. */
  latestGeneration: number;
  heartbeatIntervalMs: number;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const untp = (key: string): [string, number] => {
  const [topic, partition] = key.split('\u0000');
  return [topic!, Number(partition)];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An error no retry fixes: any the contract marks not retriable but a server's INTERNAL (a bug that may pass). */
function isFatal(error: unknown): boolean {
  return !isRetriable(error) && !(error instanceof BrookError && error.code === 'INTERNAL');
}

function toTopicPartitions(keys: Iterable<string>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const [topic, partition] = untp(key);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}


export class Consumer {
  readonly #http: HttpTransport;
  readonly #options: ConsumerOptions;
  readonly #retry: RetryOptions;
  readonly #group: string;
  readonly #autoCommit: boolean;

  #topics: string[] = [];
  #fromBeginning = false;
  #membership: Membership | undefined;
  #handlers: RunOptions | undefined;
  /** Partitions this member may consume now. */
  #assigned = new Set<string>();
  /** Partitions moving away: still ours until their commit and `onPartitionsRevoked`, then acknowledged. */
  readonly #revoking = new Set<string>();
  /** Partitions lost with the lease, waiting for `onPartitionsLost`. */
  readonly #lost = new Set<string>();
  /** Next offset to read, per owned partition. */
  readonly #positions = new Map<string, number>();
  /** Positions last committed. */
  readonly #committed = new Map<string, number>();
  readonly #paused = new Set<string>();
  /** Seeks waiting to be applied by the fetch loop. */
  readonly #seeks = new Map<string, number>();
  #running = false;
  #loop: Promise<void> | undefined;
  /** Cancels the long poll in flight, when a rebalance or disconnect should not wait for it. */
  #wake: AbortController | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #heartbeating: Promise<void> | undefined;
  #inHeartbeat = false;
  #heartbeatSoon = false;
  #lastCommitAt = 0;
  /** Commits go out one at a time, in the order asked: the server accepts a lower offset (a replay), so order matters. */
  #commits: Promise<unknown> = Promise.resolve();

  #log(message: string, error: unknown): void {
    (this.#options.logger ?? consoleLogger).error(message, error);
  }

  constructor(http: HttpTransport, options: ConsumerOptions) {
    if (!options?.groupId) throw new TypeError('a consumer needs a groupId');
    this.#http = http;
    this.#options = options;
    this.#retry = options.retry ?? {};
    this.#group = segment(options.groupId);
    this.#autoCommit = options.autoCommit ?? true;
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
    this.#handlers = options;
    this.#lastCommitAt = Date.now(); // the first auto-commit comes one interval after the start
    await this.#join();
    if (!this.#running) {
      // disconnect() was called while joining: leave at once rather than hold partitions until the lease ends
      await this.#leave();
      return;
    }
    this.#loop = this.#fetchLoop(options).catch((error: unknown) => this.#crash(error));
  }

  /** The partitions this member may consume now. */
  assignment(): TopicPartitions[] {
    return toTopicPartitions(this.#assigned);
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
    return toTopicPartitions(this.#paused);
  }

  /**
   * Stops fetching, hands every partition back (commit, then
   * `onPartitionsRevoked`), then leaves: the group moves the partitions at once.
   */
  async disconnect(): Promise<void> {
    if (!this.#running && !this.#membership) return;
    this.#running = false;
    clearTimeout(this.#heartbeatTimer);
    this.#wake?.abort();
    await this.#loop;
    await this.#heartbeating?.catch(() => undefined);
    if (this.#membership) {
      await this.#revoke([...this.#assigned, ...this.#revoking]);
      await this.#leave();
    }
    this.#assigned.clear();
  }

  /** Stops for good on an error no retry fixes: leaves the group (no commit: it may be what failed) and reports it. */
  async #crash(error: unknown): Promise<void> {
    if (!this.#running) return;
    if (!this.#handlers?.onCrash) this.#log(`brook consumer ${this.#options.groupId} stopped`, error);
    this.#running = false;
    clearTimeout(this.#heartbeatTimer);
    this.#wake?.abort();
    await this.#leave();
    this.#assigned.clear();
    this.#revoking.clear();
    this.#handlers?.onCrash?.(error);
  }

  async #leave(): Promise<void> {
    const membership = this.#membership;
    if (!membership) return;
    this.#membership = undefined;
    await this.#http.request('DELETE', `/v1/groups/${this.#group}/members/${segment(membership.memberId)}`).catch(() => undefined);
  }

  /**
   * Commits `offsets` (each the next offset to read), or, without arguments,
   * the position of every partition this member still owns that moved since
   * its last commit. Fenced by the server: a member that lost a partition
   * cannot commit it.
   */
  async commitOffsets(offsets?: TopicPartitionOffset[]): Promise<void> {
    if (offsets) {
      await this.#commit(offsets.map(({ topic, partition, offset }) => ({ key: tp(topic, partition), topic, partition, offset })));
      return;
    }
    await this.#commitPositions([...this.#assigned, ...this.#revoking]);
  }

  async #commitPositions(keys: string[]): Promise<void> {
    const offsets = keys
      .filter((key) => this.#positions.has(key) && this.#positions.get(key) !== this.#committed.get(key))
      .map((key) => {
        const [topic, partition] = untp(key);
        return { key, topic, partition, offset: this.#positions.get(key)! };
      });
    await this.#commit(offsets);
  }

  async #commit(offsets: (TopicPartitionOffset & { key: string })[]): Promise<void> {
    if (offsets.length === 0) return;
    const membership = this.#membership;
    if (!membership) {
      // Not silently: a caller committing by hand must know nothing was stored.
      throw new BrookError('REBALANCE_IN_PROGRESS', 'not a member of the group now (joining again, or disconnected): nothing was committed', {
        origin: 'sdk',
      });
    }
    this.#lastCommitAt = Date.now();
    const send = () =>
      retry(
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
    const sent = this.#commits.then(send, send);
    this.#commits = sent.catch(() => undefined);
    await sent;
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
        this.#http.request<Omit<Membership, 'latestGeneration'> & { assignment: TopicPartitions[] }>(
          'POST',
          `/v1/groups/${this.#group}/members`,
          { json: body },
        ),
      this.#retry,
    );
    const { memberId, generation, heartbeatIntervalMs, assignment } = response.body;
    const interval = Math.min(heartbeatIntervalMs, this.#options.heartbeatIntervalMs ?? heartbeatIntervalMs);
    this.#membership = { memberId, generation, latestGeneration: generation, heartbeatIntervalMs: interval };
    this.#positions.clear();
    this.#committed.clear();
    this.#assigned = new Set(assignment.flatMap(({ topic, partitions }) => partitions.map((p) => tp(topic, p))));
    this.#scheduleHeartbeat(interval);
  }

  #scheduleHeartbeat(delayMs: number): void {
    clearTimeout(this.#heartbeatTimer);
    if (!this.#running) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeating = this.#heartbeat();
    }, delayMs);
    this.#heartbeatTimer.unref();
  }

  /** Heartbeats at once, or right after the one in flight (to acknowledge a generation without waiting). */
  #heartbeatNow(): void {
    if (this.#inHeartbeat) this.#heartbeatSoon = true;
    else this.#scheduleHeartbeat(0);
  }

  /** One heartbeat; schedules the next. */
  async #heartbeat(): Promise<void> {
    if (!this.#running) return;
    const membership = this.#membership;
    if (!membership) {
      // A join after MEMBER_NOT_FOUND failed: keep trying, or the consumer would sit idle for good.
      try {
        await this.#join();
      } catch (error) {
        this.#log(`brook consumer ${this.#options.groupId}: cannot join the group again`, error);
        this.#scheduleHeartbeat(1_000);
      }
      return;
    }
    this.#inHeartbeat = true;
    let nextDelay = membership.heartbeatIntervalMs;
    try {
      const response = await this.#http.request<{ generation: number; assignment: TopicPartitions[]; rebalancing: boolean }>(
        'POST',
        `/v1/groups/${this.#group}/members/${segment(membership.memberId)}/heartbeat`,
        { json: { generation: membership.generation } },
      );
      const { generation, assignment, rebalancing } = response.body;
      membership.latestGeneration = Math.max(membership.latestGeneration, generation);
      const next = new Set(assignment.flatMap(({ topic, partitions }) => partitions.map((p) => tp(topic, p))));
      for (const key of this.#assigned) {
        if (!next.has(key)) this.#revoking.add(key);
      }
      for (const key of next) this.#revoking.delete(key);
      this.#assigned = next;
      if (this.#revoking.size > 0) this.#wake?.abort(); // the fetch loop hands them over; it acknowledges after
      else membership.generation = membership.latestGeneration;
      if (membership.generation !== generation || rebalancing) nextDelay = Math.min(nextDelay, 200);
    } catch (error) {
      if (error instanceof BrookError && error.code === 'MEMBER_NOT_FOUND' && this.#running) {
        for (const key of [...this.#assigned, ...this.#revoking]) this.#lost.add(key);
        this.#assigned.clear();
        this.#revoking.clear();
        this.#membership = undefined;
        try {
          await this.#join();
          this.#inHeartbeat = false;
          return;
        } catch {
          nextDelay = 1_000;
        }
      } else if (isFatal(error)) {
        this.#inHeartbeat = false;
        void this.#crash(error);
        return;
      } else if (!isRetriable(error)) {
        this.#log(`brook consumer ${this.#options.groupId}: heartbeat failed`, error);
      } else {
        nextDelay = Math.min(nextDelay, 500);
      }
    }
    this.#inHeartbeat = false;
    if (this.#heartbeatSoon) {
      this.#heartbeatSoon = false;
      nextDelay = 0;
    }
    this.#scheduleHeartbeat(nextDelay);
  }

  /** Hands partitions back: commit (with autoCommit), `onPartitionsRevoked`, forget them, acknowledge. */
  async #revoke(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.#autoCommit) {
      await this.#commitPositions(keys).catch((error: unknown) => {
        this.#log(`brook consumer ${this.#options.groupId}: commit on revoke failed`, error);
      });
    }
    if (this.#membership) await this.#callHook('onPartitionsRevoked', keys); // else they are lost: onPartitionsLost follows
    for (const key of keys) {
      this.#revoking.delete(key);
      this.#positions.delete(key);
      this.#committed.delete(key);
      this.#paused.delete(key);
    }
    const membership = this.#membership;
    if (membership && this.#revoking.size === 0 && membership.generation !== membership.latestGeneration) {
      membership.generation = membership.latestGeneration;
      this.#heartbeatNow();
    }
  }

  async #callHook(name: 'onPartitionsAssigned' | 'onPartitionsRevoked' | 'onPartitionsLost', keys: string[]): Promise<void> {
    const hook = this.#handlers?.[name];
    if (!hook || keys.length === 0) return;
    try {
      await hook(toTopicPartitions(keys));
    } catch (error) {
      this.#log(`brook consumer ${this.#options.groupId}: ${name} failed`, error);
    }
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
        if (found) {
          this.#positions.set(key, found.offset);
          this.#committed.set(key, found.offset);
        } else {
          // A reset position is not a commit: the next commit stores it, so the group does not reset again later.
          this.#positions.set(key, await this.#resetOffset(topic, partition));
          this.#committed.delete(key);
        }
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

  /** Rebalance work the heartbeats left for the fetch loop, run between handlers. */
  async #settleAssignment(): Promise<void> {
    if (this.#lost.size > 0) {
      const lost = [...this.#lost];
      this.#lost.clear();
      await this.#callHook('onPartitionsLost', lost);
    }
    if (this.#revoking.size > 0) await this.#revoke([...this.#revoking]);
    const fresh = [...this.#assigned].filter((key) => !this.#positions.has(key));
    if (fresh.length > 0) {
      await this.#startPositions(fresh);
      await this.#callHook('onPartitionsAssigned', fresh);
    }
    for (const [key, offset] of this.#seeks) {
      if (this.#assigned.has(key)) this.#positions.set(key, offset);
    }
    this.#seeks.clear();
  }

  async #fetchLoop(options: RunOptions): Promise<void> {
    const maxWaitTimeMs = this.#options.maxWaitTimeMs ?? 1_000;
    while (this.#running) {
      try {
        await this.#settleAssignment();
      } catch (error) {
        if (isFatal(error)) throw error; // a topic deleted, a key refused: no retry will do
        this.#log(`brook consumer ${this.#options.groupId}: cannot find start offsets`, error);
        await sleep(500);
        continue;
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
      const wake = new AbortController();
      this.#wake = wake;
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
            signal: wake.signal,
          })
        ).body.results;
      } catch (error) {
        if (!this.#running || wake.signal.aborted) continue;
        if (isFatal(error)) throw error;
        if (!isRetriable(error)) this.#log(`brook consumer ${this.#options.groupId}: fetch failed`, error);
        await sleep(500);
        continue;
      } finally {
        this.#wake = undefined;
      }
      for (const result of results) {
        if (!this.#running) break;
        await this.#process(result, options);
      }
      if (this.#autoCommit && Date.now() - this.#lastCommitAt >= (this.#options.autoCommitIntervalMs ?? 5_000)) {
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
    // A message handled while its partition was being revoked still counts: the revocation commits after it.
    const advance = (offset: number) => {
      if (this.#positions.has(key) && !this.#seeks.has(key)) this.#positions.set(key, offset);
    };
    if (!owned() || result.records.length === 0) return;
    const messages = result.records.map(toMessage);
    const heartbeat = async () => {};
    if (options.eachBatch) {
      try {
        await options.eachBatch({
          batch: { topic: result.topic, partition: result.partition, highWatermark: result.highWatermark, messages },
          resolveOffset: (offset) => advance(offset + 1),
          heartbeat,
          commitOffsetsIfNecessary: () => this.commitOffsets(),
          isRunning: owned,
        });
      } catch (error) {
        this.#log(`brook consumer ${this.#options.groupId}: eachBatch failed on ${result.topic}/${result.partition}`, error);
        await sleep(200);
        return; // what was not resolved is fetched again
      }
      // The handler returned: the batch is done even if the partition is being revoked (its commit comes next).
      if (options.eachBatchAutoResolve ?? true) advance(result.nextOffset);
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
        this.#log(`brook consumer ${this.#options.groupId}: eachMessage failed on ${result.topic}/${result.partition}@${message.offset}`, error);
        await sleep(200);
        return; // fetched again from the same position
      }
      advance(message.offset + 1);
      if (pausedByHandler) return;
    }
  }
}

/**
 * The fetch/process loop. Between handlers it settles what the heartbeats
 * changed (`onPartitionsLost`; partitions moving away committed, passed to
 * `onPartitionsRevoked` and handed over; start positions and
 * `onPartitionsAssigned` for new ones; seeks), then fetches every owned,
 * unpaused partition in one long poll (`POST /v1/fetch` with `waitMs`, exact
 * bytes as Buffers), hands the messages to `eachMessage` or `eachBatch`, and
 * auto-commits when due. A handler that throws stops that partition's batch:
 * its messages are fetched again on the next round (at least once).
 */
import type { MultiFetchRequest, MultiFetchResponse, MultiFetchResult } from '../../protocol/types.js';
import { toMessage } from '../messages.js';
import { isRetriable } from '../retry.js';
import { isFatal, sleep, type ConsumerContext } from './context.js';
import type { Membership } from './Membership.js';
import type { OffsetManager } from './OffsetManager.js';
import { tp, toTopicPartitions, untp } from './partitionKeys.js';
import type { RunOptions } from './types.js';

type Hook = 'onPartitionsAssigned' | 'onPartitionsRevoked' | 'onPartitionsLost';

export class Runner {
  readonly #context: ConsumerContext;
  readonly #membership: Membership;
  readonly #offsets: OffsetManager;
  /** What `run` was given; set before the member joins, so that a disconnect while joining still calls the hooks. */
  handlers: RunOptions | undefined;
  readonly #paused = new Set<string>();
  /** Seeks waiting to be applied by the loop. */
  readonly #seeks = new Map<string, number>();
  #loop: Promise<void> | undefined;
  /** Cancels the long poll in flight, when a rebalance or disconnect should not wait for it. */
  #wake: AbortController | undefined;

  constructor(context: ConsumerContext, membership: Membership, offsets: OffsetManager) {
    this.#context = context;
    this.#membership = membership;
    this.#offsets = offsets;
  }

  /** Starts the loop in the background; an error no retry fixes goes to `crash`. */
  start(handlers: RunOptions, crash: (error: unknown) => Promise<void>): void {
    this.#loop = this.#fetchLoop(handlers).catch(crash);
  }

  /** Resolves once the loop has ended (after the consumer stopped running). */
  async stopped(): Promise<void> {
    await this.#loop;
  }

  /** Cancels the long poll in flight. */
  wake(): void {
    this.#wake?.abort();
  }

  seek(key: string, offset: number): void {
    this.#seeks.set(key, offset);
  }

  pause(topic: string, partitions: number[] | undefined): void {
    const keys = partitions ? partitions.map((p) => tp(topic, p)) : [...this.#membership.assigned].filter((key) => untp(key)[0] === topic);
    for (const key of keys) this.#paused.add(key);
  }

  resume(topic: string, partitions: number[] | undefined): void {
    for (const key of [...this.#paused]) {
      const [t, p] = untp(key);
      if (t === topic && (!partitions || partitions.includes(p))) this.#paused.delete(key);
    }
  }

  paused(): ReadonlySet<string> {
    return this.#paused;
  }

  /** Hands partitions back: commit (with autoCommit), `onPartitionsRevoked`, forget them, acknowledge. */
  async revoke(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.#context.autoCommit) {
      await this.#offsets.commitPositions(keys).catch((error: unknown) => {
        this.#context.report('commit on revoke failed', error);
      });
    }
    if (this.#membership.member) await this.#callHook('onPartitionsRevoked', keys); // else they are lost: onPartitionsLost follows
    this.#offsets.forget(keys);
    for (const key of keys) this.#paused.delete(key);
    this.#membership.handedOver(keys);
  }

  async #callHook(name: Hook, keys: string[]): Promise<void> {
    const hook = this.handlers?.[name];
    if (!hook || keys.length === 0) return;
    try {
      await hook(toTopicPartitions(keys));
    } catch (error) {
      this.#context.report(`${name} failed`, error);
    }
  }

  /** Rebalance work the heartbeats left for the loop, run between handlers. */
  async #settleAssignment(): Promise<void> {
    const lost = this.#membership.takeLost();
    if (lost.length > 0) await this.#callHook('onPartitionsLost', lost);
    if (this.#membership.revoking.size > 0) await this.revoke([...this.#membership.revoking]);
    const fresh = [...this.#membership.assigned].filter((key) => !this.#offsets.has(key));
    if (fresh.length > 0) {
      await this.#offsets.start(fresh);
      await this.#callHook('onPartitionsAssigned', fresh);
    }
    for (const [key, offset] of this.#seeks) {
      if (this.#membership.assigned.has(key)) this.#offsets.setPosition(key, offset);
    }
    this.#seeks.clear();
  }

  async #fetchLoop(handlers: RunOptions): Promise<void> {
    const { options } = this.#context;
    const maxWaitTimeMs = options.maxWaitTimeMs ?? 1_000;
    while (this.#context.running) {
      try {
        await this.#settleAssignment();
      } catch (error) {
        if (isFatal(error)) throw error; // a topic deleted, a key refused: no retry will do
        this.#context.report('cannot find start offsets', error);
        await sleep(500);
        continue;
      }
      const wanted = [...this.#membership.assigned].filter((key) => !this.#paused.has(key) && this.#offsets.has(key));
      if (wanted.length === 0) {
        await sleep(100);
        continue;
      }
      const byTopic = new Map<string, { partition: number; offset: number }[]>();
      for (const key of wanted) {
        const [topic, partition] = untp(key);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset: this.#offsets.position(key)! }]);
      }
      const wake = new AbortController();
      this.#wake = wake;
      const body: MultiFetchRequest = {
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        waitMs: maxWaitTimeMs,
        encoding: 'base64',
        ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
        ...(options.maxRecordsPerPartition !== undefined ? { maxRecordsPerPartition: options.maxRecordsPerPartition } : {}),
      };
      let results: MultiFetchResult[];
      try {
        results = (
          await this.#context.http.request<MultiFetchResponse>('POST', '/v1/fetch', {
            json: body,
            extraTimeoutMs: maxWaitTimeMs,
            signal: wake.signal,
          })
        ).body.results;
      } catch (error) {
        if (!this.#context.running || wake.signal.aborted) continue;
        if (isFatal(error)) throw error;
        if (!isRetriable(error)) this.#context.report('fetch failed', error);
        await sleep(500);
        continue;
      } finally {
        this.#wake = undefined;
      }
      for (const result of results) {
        if (!this.#context.running) break;
        await this.#process(result, handlers);
      }
      if (this.#offsets.autoCommitDue()) await this.#offsets.commit().catch(() => undefined);
    }
  }

  async #process(result: MultiFetchResult, handlers: RunOptions): Promise<void> {
    const key = tp(result.topic, result.partition);
    if ('error' in result) {
      if (result.error.code === 'OFFSET_OUT_OF_RANGE' && this.#membership.assigned.has(key)) await this.#offsets.reset(result.topic, result.partition);
      return;
    }
    const owned = () => this.#context.running && this.#membership.assigned.has(key) && !this.#paused.has(key) && !this.#seeks.has(key);
    // A message handled while its partition was being revoked still counts: the revocation commits after it.
    const advance = (offset: number) => {
      if (this.#offsets.has(key) && !this.#seeks.has(key)) this.#offsets.setPosition(key, offset);
    };
    if (!owned() || result.records.length === 0) return;
    const messages = result.records.map(toMessage);
    const heartbeat = async () => {};
    if (handlers.eachBatch) {
      try {
        await handlers.eachBatch({
          batch: { topic: result.topic, partition: result.partition, highWatermark: result.highWatermark, messages },
          resolveOffset: (offset) => advance(offset + 1),
          heartbeat,
          commitOffsetsIfNecessary: () => this.#offsets.commit(),
          isRunning: owned,
        });
      } catch (error) {
        this.#context.report(`eachBatch failed on ${result.topic}/${result.partition}`, error);
        await sleep(200);
        return; // what was not resolved is fetched again
      }
      // The handler returned: the batch is done even if the partition is being revoked (its commit comes next).
      if (handlers.eachBatchAutoResolve ?? true) advance(result.nextOffset);
      return;
    }
    for (const message of messages) {
      if (!owned()) return;
      let pausedByHandler = false;
      try {
        await handlers.eachMessage!({
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
        this.#context.report(`eachMessage failed on ${result.topic}/${result.partition}@${message.offset}`, error);
        await sleep(200);
        return; // fetched again from the same position
      }
      advance(message.offset + 1);
      if (pausedByHandler) return;
    }
  }
}

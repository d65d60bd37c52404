/**
 * The reader: fetches partitions by offset, with no consumer group (no
 * membership, no commits), as a console consumer or a replay tool reads.
 * One call is one `POST /v1/fetch` long poll over any partitions, with exact
 * bytes (`encoding: base64`, turned into Buffers as the consumer does).
 *
 * ```ts
 * const reader = brook.reader();
 * const [result] = await reader.fetch([{ topic: 'orders', partition: 0, offset: 0 }], { waitMs: 1000 });
 * if (!('error' in result)) for (const message of result.messages) console.log(message.offset, message.value?.toString());
 * ```
 */
import type { BrookError } from '../protocol/errors.js';
import type { MultiFetchRequest, MultiFetchResponse } from '../protocol/types.js';
import { toMessage, type KafkaMessage } from './messages.js';
import { errorFromResponse, type HttpTransport } from './http.js';
import { retry, type RetryOptions } from './retry.js';

export interface FetchPosition {
  topic: string;
  partition: number;
  /** @default the partition's log start */
  offset?: number;
}

export interface FetchOptions {
  /** Long poll: with no data at any offset, wait up to this long (0..20000). @default 0 */
  readonly waitMs?: number;
  /** @default 4194304 (the server's) */
  readonly maxBytes?: number;
  /** @default 500 (the server's) */
  readonly maxRecordsPerPartition?: number;
}

/** One partition's answer: its messages and where to read next, or its own error (`OFFSET_OUT_OF_RANGE`, ...). */
export type PartitionFetch =
  | {
      topic: string;
      partition: number;
      messages: KafkaMessage[];
      nextOffset: number;
      highWatermark: number;
      logStartOffset: number;
    }
  | { topic: string; partition: number; error: BrookError };

export class Reader {
  readonly #http: HttpTransport;
  readonly #retry: RetryOptions;

  constructor(http: HttpTransport, options: { retry?: RetryOptions } = {}) {
    this.#http = http;
    this.#retry = options.retry ?? {};
  }

  /**
   * Fetches every position in one request; answers one entry per position, in
   * the server's order. A request-level failure (an unknown topic, auth) rejects;
   * a partition's own failure is its entry's `error`.
   */
  async fetch(positions: FetchPosition[], options: FetchOptions = {}): Promise<PartitionFetch[]> {
    const byTopic = new Map<string, { partition: number; offset?: number }[]>();
    for (const { topic, partition, offset } of positions) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), offset === undefined ? { partition } : { partition, offset }]);
    }
    const waitMs = options.waitMs ?? 0;
    const body: MultiFetchRequest = {
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      waitMs,
      encoding: 'base64',
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
      ...(options.maxRecordsPerPartition !== undefined ? { maxRecordsPerPartition: options.maxRecordsPerPartition } : {}),
    };
    const results = await retry(
      async () => (await this.#http.request<MultiFetchResponse>('POST', '/v1/fetch', { json: body, extraTimeoutMs: waitMs })).body.results,
      this.#retry,
    );
    return results.map((result): PartitionFetch => {
      if ('error' in result) {
        return { topic: result.topic, partition: result.partition, error: errorFromResponse(0, { error: result.error }) };
      }
      const { topic, partition, records, nextOffset, highWatermark, logStartOffset } = result;
      return { topic, partition, messages: records.map(toMessage), nextOffset, highWatermark, logStartOffset };
    });
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { BrookError } from '../../protocol/errors.js';
import { MAX_WAIT_MS } from '../../protocol/limits.js';
import { recordSize } from '../../protocol/recordBatch.js';
import type { Encoding, FetchResponse, MultiFetchResult } from '../../protocol/types.js';
import { checkPartition, type Topic } from '../topics/TopicRegistry.js';
import type { AppendNotifier, Appended } from './appendNotifier.js';
import { logPartitionKey } from '../layout/tables.js';
import { checkInRange, type PartitionHead, type PartitionLog, type ReadResult } from './PartitionLog.js';
import { mapLimit } from '../storage/mapLimit.js';
import { toJsonRecord } from './recordJson.js';

/** Poll HEAD at these intervals while waiting for data: soon at first, then rarely, so a wait never hammers DynamoDB. */
export const LONG_POLL_INTERVALS_MS = [10, 20, 40, 80, 160, 250] as const;
/** Partitions of one fetch read at the same time. */
const READ_CONCURRENCY = 16;

export interface PartitionFetch {
  topic: Topic;
  partition: number;
  /** Defaults to the log start offset. */
  offset?: number;
  maxRecords: number;
  /** HEAD as read in the request's first round trip (consistently); read here when absent. */
  knownHead?: PartitionHead;
}

export interface FetchOptions {
  maxBytes: number;
  waitMs: number;
  encoding: Encoding;
  signal?: AbortSignal;
}

/**
 * Fetch (docs/http.md, Fetch): reads committed records from one or many
 * partitions; with `waitMs`, waits for data that is not there yet.
 */
export class FetchService {
  constructor(
    private readonly log: PartitionLog,
    private readonly notifier?: AppendNotifier,
  ) {}

  /** One partition; errors are thrown. */
  async fetchOne(request: PartitionFetch, options: FetchOptions): Promise<FetchResponse> {
    const [result] = await this.fetchMany([request], options, true);
    return result as FetchResponse;
  }

  /** Many partitions; a partition's error is its entry, the others still answer. */
  async fetchMany(requests: PartitionFetch[], options: FetchOptions, throwErrors = false): Promise<MultiFetchResult[]> {
    const deadline = Date.now() + Math.min(options.waitMs, MAX_WAIT_MS);
    const heads = await this.readHeads(requests, throwErrors, true);
    let waited = 0;
    while (options.waitMs > 0 && Date.now() < deadline && !options.signal?.aborted && !anyData(requests, heads)) {
      const interval = Math.min(LONG_POLL_INTERVALS_MS[Math.min(waited, LONG_POLL_INTERVALS_MS.length - 1)]!, deadline - Date.now());
      const appended = await this.waitForAppend(requests, interval, options.signal);
      waited++;
      if (appended && requests.length === 1) {
        // An append in this process said where HEAD is now: no need to read it again. (With several partitions
        // HEADs are read again together, so that a transaction is not seen on one partition before the others.)
        requests.forEach((request, i) => {
          const head = heads[i]!;
          if (head instanceof BrookError || logPartitionKey(request.topic.topicId, request.partition) !== appended.partitionKey) return;
          heads[i] = { ...head, highWatermark: Math.max(head.highWatermark, appended.highWatermark) };
        });
        continue;
      }
      const fresh = await this.readHeads(requests, throwErrors);
      fresh.forEach((head, i) => (heads[i] = head));
    }

    // The partitions are read at the same time, each within an equal share of maxBytes; then the answer is cut
    // to maxBytes in request order, as one budget: a partition gets at least one record while some budget is left.
    const withData = requests.filter((request, i) => {
      const head = heads[i]!;
      return !(head instanceof BrookError) && (request.offset ?? head.logStartOffset) < head.highWatermark;
    }).length;
    const share = Math.max(1, Math.floor(options.maxBytes / Math.max(1, withData)));
    const reads = await mapLimit(requests, READ_CONCURRENCY, async (request, i): Promise<ReadResult | BrookError> => {
      const head = heads[i]!;
      if (head instanceof BrookError) return head;
      try {
        return await this.log.read(request.topic.topicId, request.partition, request.offset ?? head.logStartOffset, { maxRecords: request.maxRecords, maxBytes: share }, head);
      } catch (error) {
        if (throwErrors || !(error instanceof BrookError)) throw error;
        return error;
      }
    });
    let budget = options.maxBytes;
    const results = reads.map((read, i): MultiFetchResult => {
      const request = requests[i]!;
      if (read instanceof BrookError) return errorEntry(request, read);
      const kept = [];
      for (const record of read.records) {
        const size = recordSize(record);
        if (kept.length > 0 ? size > budget : budget <= 0) break;
        kept.push(record);
        budget -= size;
      }
      return {
        topic: request.topic.name,
        partition: request.partition,
        records: kept.map((record) => toJsonRecord(record, options.encoding)),
        nextOffset: kept.length < read.records.length ? read.records[kept.length]!.offset : read.nextOffset,
        highWatermark: read.highWatermark,
        logStartOffset: read.logStartOffset,
      };
    });
    return results;
  }

  /**
   * Each partition's HEAD (the one already read, when `useKnown`), or its
   * error. Several HEADs to read are read at one instant (PartitionLog.headsTogether).
   */
  private async readHeads(requests: PartitionFetch[], throwErrors: boolean, useKnown = false): Promise<(PartitionHead | BrookError)[]> {
    const valid = (request: PartitionFetch) => request.partition >= 0 && request.partition < request.topic.partitions;
    const toRead = requests.filter((request) => valid(request) && !(useKnown && request.knownHead));
    const together = toRead.length > 1 ? await this.log.headsTogether(toRead.map((r) => ({ topicId: r.topic.topicId, partition: r.partition }))) : undefined;
    return Promise.all(
      requests.map(async (request) => {
        try {
          checkPartition(request.topic, request.partition);
          const known = useKnown ? request.knownHead : undefined;
          const head = known ?? together?.get(logPartitionKey(request.topic.topicId, request.partition)) ?? (await this.log.head(request.topic.topicId, request.partition));
          checkInRange(request.offset ?? head.logStartOffset, head);
          return head;
        } catch (error) {
          if (throwErrors || !(error instanceof BrookError)) throw error;
          return error;
        }
      }),
    );
  }

  /** Waits up to `ms` for an append to one of the partitions; what it committed, when this process heard of it. */
  private async waitForAppend(requests: PartitionFetch[], ms: number, signal?: AbortSignal): Promise<Appended | undefined> {
    if (ms <= 0) return undefined;
    const timeout = AbortSignal.timeout(ms);
    const stop = signal ? AbortSignal.any([timeout, signal]) : timeout;
    if (!this.notifier) {
      await sleep(ms, undefined, { signal: stop }).catch(() => undefined);
      return undefined;
    }
    const keys = requests.map((r) => logPartitionKey(r.topic.topicId, r.partition));
    return this.notifier.waitForAny(keys, stop);
  }
}

function anyData(requests: PartitionFetch[], heads: (PartitionHead | BrookError)[]): boolean {
  return requests.some((request, i) => {
    const head = heads[i]!;
    if (head instanceof BrookError) return true;
    return (request.offset ?? head.logStartOffset) < head.highWatermark;
  });
}

function errorEntry(request: PartitionFetch, error: BrookError): MultiFetchResult {
  return { topic: request.topic.name, partition: request.partition, error: error.toJSON().error };
}

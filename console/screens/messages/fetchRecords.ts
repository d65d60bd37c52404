/**
 * Reading records through `POST /v1/fetch` (base64, so every byte is exact):
 * one call for any number of partitions, and a page of up to MAX_LOADED
 * records made of as many calls as the 4 MiB answer limit needs.
 */
import { path, type Api, type CallOptions } from '../../api.js';
import { lenientText } from '../../components/bytes.js';
import type { FetchResponse, MultiFetchResponse } from '../../../protocol/types.js';
import type { LoadedRecords, PartitionBounds, PartitionError, Position, ShownRecord } from './types.js';

/** The most records the browser keeps loaded (also the fetch route's `maxRecordsPerPartition` limit). */
export const MAX_LOADED = 10_000;
/** The fetch route's largest answer. */
const MAX_BYTES = 4 * 1024 * 1024;

/** Timestamp order, then partition, then offset. */
export function byTime(a: ShownRecord, b: ShownRecord): number {
  return a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;
}

function shown(answer: FetchResponse): ShownRecord[] {
  return answer.records.map((r) => ({
    ...r,
    partition: answer.partition,
    keyText: lenientText(r.key),
    valueText: lenientText(r.value),
    headersText: Object.entries(r.headers)
      .map(([name, value]) => `${name}=${lenientText(value)}`)
      .join('\n'),
  }));
}

/** What one `POST /v1/fetch` call read. */
export interface FetchedOnce {
  readonly records: ShownRecord[];
  /** Each partition read, past what it returned. */
  readonly next: Position[];
  readonly bounds: PartitionBounds[];
  readonly errors: PartitionError[];
}

export async function fetchOnce(
  api: Api,
  topic: string,
  positions: readonly Position[],
  maxRecordsPerPartition: number,
  options: CallOptions & { waitMs?: number } = {},
): Promise<FetchedOnce> {
  const body = {
    topics: [{ topic, partitions: positions.map(({ partition, offset }) => ({ partition, offset })) }],
    maxRecordsPerPartition: Math.min(MAX_LOADED, Math.max(1, maxRecordsPerPartition)),
    maxBytes: MAX_BYTES,
    encoding: 'base64',
    ...(options.waitMs ? { waitMs: options.waitMs } : {}),
  };
  const answer = await api.post<MultiFetchResponse>(path('fetch'), body, options.signal ? { signal: options.signal } : {});
  const read: FetchedOnce = { records: [], next: [], bounds: [], errors: [] };
  for (const result of answer.results) {
    if ('error' in result) {
      read.errors.push({ partition: result.partition, code: result.error.code, message: result.error.message });
      continue;
    }
    read.records.push(...shown(result));
    read.next.push({ partition: result.partition, offset: result.nextOffset });
    read.bounds.push({ partition: result.partition, logStartOffset: result.logStartOffset, highWatermark: result.highWatermark });
  }
  return read;
}

/** Past the last record kept of each partition; where it started when none was kept. */
function nextAfter(kept: readonly ShownRecord[], from: readonly Position[]): Position[] {
  const last = new Map<number, number>();
  for (const r of kept) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
  return from.map(({ partition, offset }) => ({ partition, offset: last.has(partition) ? last.get(partition)! + 1 : offset }));
}

/**
 * Up to `size` records from `from`, in timestamp order: fetches until the
 * page is full or every partition is at its high watermark. When the
 * partitions gave more than `size`, the earliest `size` are kept and each
 * partition's next position is just past its last record kept.
 */
export async function readPage(api: Api, topic: string, from: readonly Position[], size: number): Promise<LoadedRecords> {
  const records: ShownRecord[] = [];
  const errors: PartitionError[] = [];
  const bounds = new Map<number, PartitionBounds>();
  const reached = new Map(from.map((p) => [p.partition, p.offset]));
  let open = [...from];
  while (open.length > 0 && records.length < size) {
    const read = await fetchOnce(api, topic, open, size - records.length);
    records.push(...read.records);
    errors.push(...read.errors);
    for (const b of read.bounds) bounds.set(b.partition, b);
    for (const n of read.next) reached.set(n.partition, n.offset);
    if (read.records.length === 0) break;
    open = read.next.filter((n) => n.offset < bounds.get(n.partition)!.highWatermark);
  }
  records.sort(byTime);
  const failed = new Set(errors.map((e) => e.partition));
  const readable = from.filter((p) => !failed.has(p.partition));
  const kept = records.slice(0, size);
  const next =
    kept.length < records.length ? nextAfter(kept, readable) : readable.map(({ partition }) => ({ partition, offset: reached.get(partition)! }));
  return { from, next, records: kept, bounds: [...bounds.values()].sort((a, b) => a.partition - b.partition), errors };
}

/** More records after `loaded` (the live tail's): in timestamp order, the oldest dropped beyond MAX_LOADED. */
export function appendRecords(loaded: LoadedRecords, read: FetchedOnce): LoadedRecords {
  const records = [...loaded.records, ...[...read.records].sort(byTime)];
  const next = new Map(loaded.next.map((p) => [p.partition, p]));
  for (const n of read.next) next.set(n.partition, n);
  const bounds = new Map(loaded.bounds.map((b) => [b.partition, b]));
  for (const b of read.bounds) bounds.set(b.partition, b);
  return {
    from: loaded.from,
    next: [...next.values()],
    records: records.length > MAX_LOADED ? records.slice(records.length - MAX_LOADED) : records,
    bounds: [...bounds.values()].sort((a, b) => a.partition - b.partition),
    errors: read.errors.length > 0 ? read.errors : loaded.errors,
  };
}

/**
 * The live tail: while `active`, long-polls `POST /v1/fetch` (`waitMs`
 * 20000) from each partition's high watermark when it started, and hands
 * every batch of new records to `onRead`. It stops (aborting the call in
 * flight) when `active` turns false, the topic or partitions change, or the
 * screen unmounts.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { Api } from '../../api.js';
import { fetchOnce, MAX_LOADED, type FetchedOnce } from './fetchRecords.js';
import { offsetAt } from './startPositions.js';
import type { Position } from './types.js';

export const TAIL_WAIT_MS = 20_000;

export interface LiveTailProps {
  readonly api: Api;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly active: boolean;
  readonly onRead: (read: FetchedOnce) => void;
  readonly onError: (error: unknown) => void;
}

export function useLiveTail({ api, topic, partitions, active, onRead, onError }: LiveTailProps): void {
  const callbacks = useRef({ onRead, onError });
  callbacks.current = { onRead, onError };
  const partitionsKey = partitions.join(',');

  useEffect(() => {
    if (!active || partitions.length === 0) return;
    const controller = new AbortController();
    const signal = controller.signal;
    const tail = async () => {
      let positions: Position[] = await Promise.all(
        partitions.map(async (partition) => ({ partition, offset: await offsetAt(api, topic, partition, 'latest', { signal }) })),
      );
      while (!signal.aborted) {
        const read = await fetchOnce(api, topic, positions, MAX_LOADED, { waitMs: TAIL_WAIT_MS, signal });
        if (signal.aborted) return;
        if (read.records.length > 0 || read.errors.length > 0) callbacks.current.onRead(read);
        if (read.errors.length > 0) return; // a partition gone or out of range: stop rather than spin
        const next = new Map(read.next.map((p) => [p.partition, p.offset]));
        positions = positions.map((p) => ({ partition: p.partition, offset: next.get(p.partition) ?? p.offset }));
      }
    };
    tail().catch((error: unknown) => {
      if (!signal.aborted) callbacks.current.onError(error);
    });
    return () => controller.abort();
  }, [active, api, topic, partitionsKey]);
}

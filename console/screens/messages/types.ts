/** What the message browser holds: where it read from, the records it loaded, and each partition's bounds. */
import type { FetchedRecord } from '../../../protocol/types.js';

/** Where to read a partition next. */
export interface Position {
  readonly partition: number;
  readonly offset: number;
}

/** A fetched record with its partition and its key, value and headers decoded once for display and filtering. */
export interface ShownRecord extends FetchedRecord {
  readonly partition: number;
  readonly keyText: string | null;
  readonly valueText: string | null;
  readonly headersText: string;
}

export interface PartitionBounds {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** A partition the fetch could not read (its own error in a `POST /v1/fetch` answer). */
export interface PartitionError {
  readonly partition: number;
  readonly code: string;
  readonly message: string;
}

/** The records loaded: from `from`, continuing at `next`, in timestamp order (then partition, then offset). */
export interface LoadedRecords {
  readonly from: readonly Position[];
  readonly next: readonly Position[];
  readonly records: readonly ShownRecord[];
  readonly bounds: readonly PartitionBounds[];
  readonly errors: readonly PartitionError[];
}

export type StartMode = 'earliest' | 'latest' | 'offset' | 'time';

export interface StartChoice {
  readonly mode: StartMode;
  /** For `latest`: how far back from the high watermark. */
  readonly minusN: number;
  /** For `offset`. */
  readonly offset: number;
  /** For `time`: epoch milliseconds. */
  readonly timeMs: number;
}

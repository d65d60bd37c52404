import { BrookError } from '../../protocol/errors.js';

/**
 * What a partition remembers of an idempotent producer: the epoch and the
 * last batch it appended, enough to recognise a retry of that batch and to
 * refuse a gap. Stored in the partition's HEAD item, so it is bounded.
 */
export interface ProducerEntry {
  epoch: number;
  /** Sequence of the first record of the last batch. */
  firstSeq: number;
  /** Sequence of the last record of the last batch. */
  lastSeq: number;
  /** Offset of the first record of the last batch. */
  baseOffset: number;
  /** Append time of the last batch (ms); the least recent entry is evicted first. */
  at: number;
}

/** Producer id (decimal string) -> entry. Stored compactly in HEAD as `[epoch, firstSeq, lastSeq, baseOffset, at]`. */
export type ProducerTable = Record<string, ProducerEntry>;
export type StoredProducerTable = Record<string, [number, number, number, number, number]>;

/**
 * Producers a partition remembers. Every append rewrites HEAD and DynamoDB
 * bills writes per started KB: 20 entries keep HEAD near 1 KB. A producer
 * evicted from this table gets UNKNOWN_PRODUCER on its next non-zero sequence
 * and registers again.
 */
export const MAX_PRODUCERS_PER_PARTITION = 20;

export interface ProducerBatch {
  producerId: string;
  epoch: number;
  baseSequence: number;
  count: number;
}

export type SequenceDecision = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number };

/**
 * Decides what an idempotent batch means for a partition in the state
 * `table`: a new batch to append, a retry of the last one (answer with its
 * offsets, append nothing), or an error.
 */
export function checkSequence(table: ProducerTable, batch: ProducerBatch): SequenceDecision {
  const entry = table[batch.producerId];
  if (entry === undefined) {
    if (batch.baseSequence === 0) return { kind: 'append' };
    throw new BrookError(
      'UNKNOWN_PRODUCER',
      `this partition has no state for producer ${batch.producerId}; register it again and restart its sequences at 0`,
    );
  }
  if (batch.epoch < entry.epoch) {
    throw new BrookError('PRODUCER_FENCED', `producer ${batch.producerId} epoch ${batch.epoch} is fenced by epoch ${entry.epoch}`);
  }
  if (batch.epoch > entry.epoch) {
    if (batch.baseSequence === 0) return { kind: 'append' };
    throw new BrookError('OUT_OF_ORDER_SEQUENCE', `a new epoch starts at sequence 0, got ${batch.baseSequence}`, {
      expectedSequence: 0,
    });
  }
  if (batch.baseSequence === entry.lastSeq + 1) return { kind: 'append' };
  if (batch.baseSequence === entry.firstSeq && batch.count === entry.lastSeq - entry.firstSeq + 1) {
    return { kind: 'duplicate', baseOffset: entry.baseOffset };
  }
  throw new BrookError(
    'OUT_OF_ORDER_SEQUENCE',
    `expected sequence ${entry.lastSeq + 1} for producer ${batch.producerId}, got ${batch.baseSequence}`,
    { expectedSequence: entry.lastSeq + 1 },
  );
}

/** The table after `batch` was appended at `baseOffset`, holding at most `limit` producers. */
export function recordBatch(
  table: ProducerTable,
  batch: ProducerBatch,
  baseOffset: number,
  at: number,
  limit = MAX_PRODUCERS_PER_PARTITION,
): ProducerTable {
  const next: ProducerTable = {
    ...table,
    [batch.producerId]: {
      epoch: batch.epoch,
      firstSeq: batch.baseSequence,
      lastSeq: batch.baseSequence + batch.count - 1,
      baseOffset,
      at,
    },
  };
  const ids = Object.keys(next);
  if (ids.length <= limit) return next;
  ids.sort((a, b) => next[a]!.at - next[b]!.at);
  for (const id of ids.slice(0, ids.length - limit)) delete next[id];
  return next;
}

export function toStoredTable(table: ProducerTable): StoredProducerTable {
  const stored: StoredProducerTable = {};
  for (const [id, e] of Object.entries(table)) stored[id] = [e.epoch, e.firstSeq, e.lastSeq, e.baseOffset, e.at];
  return stored;
}

export function fromStoredTable(stored: StoredProducerTable | undefined): ProducerTable {
  const table: ProducerTable = {};
  for (const [id, [epoch, firstSeq, lastSeq, baseOffset, at]] of Object.entries(stored ?? {})) {
    table[id] = { epoch, firstSeq, lastSeq, baseOffset, at };
  }
  return table;
}

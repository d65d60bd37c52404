/**
 * Lost races on DynamoDB: telling a conflict that a fresh read resolves from
 * a real failure, retrying single-item writes that collided with a
 * transaction, and turning a cancelled transaction into the contract's error.
 * `busy` is the message a caller's users see when the item keeps changing
 * (e.g. "the group is being changed; retry").
 */
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { translateStorageError } from './errors.js';

/** Attempts of a single-item write refused because a transaction held its item. */
const MAX_CONFLICT_RETRIES = 5;

const CONFLICT_CODES = new Set<string | undefined>(['ConditionalCheckFailed', 'TransactionConflict']);
const THROTTLING_CODES = new Set<string | undefined>(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

function cancellationCodes(error: unknown): (string | undefined)[] {
  return ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code);
}

/** A lost race that a fresh read resolves: a failed condition, or a transaction that collided with another. */
export function isRetriableConflict(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const codes = cancellationCodes(error);
  return codes.some((code) => CONFLICT_CODES.has(code)) && codes.every((code) => code === undefined || code === 'None' || CONFLICT_CODES.has(code));
}

/** The item a failed condition saw, when the write asked for it (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). */
export function failedItem<T>(error: unknown): T | undefined {
  const item = (error as { Item?: Record<string, NativeAttributeValue> }).Item;
  return item ? (unmarshall(item as Parameters<typeof unmarshall>[0]) as T) : undefined;
}

/** Backoff before attempt `attempt` (1..) of a lost race: 10 ms doubling, capped at 200 ms, times 0.5..1.5. */
export function conflictBackoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wait before attempt `attempt` (2..) after losing a race another writer won:
 * 80 ms / attempt (at least 5 ms), times 0..1. Shorter the more often it lost,
 * so an old loser gets ahead of newer writers (which do not wait at all)
 * instead of waiting longest; under steady contention this cuts the tail
 * (bench/transactions.ts: p99 about 3 s with growing waits, 0.6-1.6 s with
 * these) at the price of more refused tries.
 */
export function lostRaceWait(attempt: number): Promise<void> {
  const ms = Math.max(5, 80 / attempt) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs a single-item write, again a few times while DynamoDB refuses it
 * because a transaction holds the item; then fails with a retriable
 * `UNAVAILABLE` saying `busy`. Any other error is thrown as it is.
 */
export async function withConflictRetries<T>(run: () => Promise<T>, busy: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (errorName(error) !== 'TransactionConflictException') throw error;
      if (attempt >= MAX_CONFLICT_RETRIES) throw new BrookError('UNAVAILABLE', busy, {}, { cause: error });
      await conflictBackoff(attempt);
    }
  }
}

/**
 * Storage errors as the contract's, transactions included: a transaction
 * cancelled because DynamoDB throttled one of its items is THROTTLED, like a
 * throttled single write; one that lost a race is a retriable `UNAVAILABLE`
 * saying `busy`. The rest as `translateStorageError`.
 */
export function translateConflictError(error: unknown, busy: string): unknown {
  const name = errorName(error);
  if (name === 'TransactionCanceledException') {
    if (cancellationCodes(error).some((code) => THROTTLING_CODES.has(code))) {
      return new BrookError('THROTTLED', 'storage is throttling requests; retry with backoff', {}, { cause: error });
    }
    if (isRetriableConflict(error)) return new BrookError('UNAVAILABLE', busy, {}, { cause: error });
  }
  if (name === 'TransactionConflictException') return new BrookError('UNAVAILABLE', busy, {}, { cause: error });
  return translateStorageError(error);
}

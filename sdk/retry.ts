/**
 * One retry loop for the whole SDK: exponential backoff with full jitter
 * (a delay drawn uniformly from 0 to min(maxMs, initialMs * 2^attempt)),
 * retrying only errors whose `retriable` flag is true. When the server said
 * how long to wait (`Retry-After`, kept as the error's `retryAfterMs`, on
 * `429 THROTTLED`), the delay is at least that, up to `maxMs`.
 */
import { BrookError } from '../protocol/errors.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. @default 5 */
  readonly maxRetries?: number;
  /** Cap of the first delay. @default 100 */
  readonly initialMs?: number;
  /** Cap of any delay. @default 10000 */
  readonly maxMs?: number;
  /** A number in [0, 1) (for tests). @default Math.random */
  readonly random?: () => number;
}

export const DEFAULT_RETRY: Required<Omit<RetryOptions, 'random'>> = { maxRetries: 5, initialMs: 100, maxMs: 10_000 };

/** Whether `error` may be tried again: a `BrookError` (or anything) with `retriable: true`. */
export function isRetriable(error: unknown): boolean {
  return error instanceof BrookError ? error.retriable : (error as { retriable?: unknown } | null)?.retriable === true;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffMs(attempt: number, options: RetryOptions = {}): number {
  const initialMs = options.initialMs ?? DEFAULT_RETRY.initialMs;
  const maxMs = options.maxMs ?? DEFAULT_RETRY.maxMs;
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor((options.random ?? Math.random)() * cap);
}

/** The backoff for `attempt`, raised to the server's `Retry-After` (capped by `maxMs`) when it sent one. */
export function delayBeforeRetry(error: unknown, attempt: number, options: RetryOptions = {}): number {
  const backoff = backoffMs(attempt, options);
  const hinted = error instanceof BrookError ? error.details.retryAfterMs : undefined;
  if (typeof hinted !== 'number') return backoff;
  return Math.max(backoff, Math.min(hinted, options.maxMs ?? DEFAULT_RETRY.maxMs));
}

export interface RetryContext {
  /** 0 for the first attempt. */
  readonly attempt: number;
}

/**
 * Runs `operation` until it succeeds, throws an error that is not retriable
 * (or that `shouldRetry` refuses), or has used `maxRetries` retries; then the
 * last error is thrown as it is.
 */
export async function retry<T>(
  operation: (context: RetryContext) => Promise<T>,
  options: RetryOptions = {},
  shouldRetry: (error: unknown) => boolean = isRetriable,
): Promise<T> {
  const maxRetries = options.maxRetries ?? DEFAULT_RETRY.maxRetries;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation({ attempt });
    } catch (error) {
      if (attempt >= maxRetries || !shouldRetry(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayBeforeRetry(error, attempt, options)));
    }
  }
}

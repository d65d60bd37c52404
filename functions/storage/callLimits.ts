/**
 * How long one storage call may take, how often the AWS SDK tries it, and
 * how a request that is being abandoned stops its calls (docs/design.md,
 * "Failure model", "Retries and time limits").
 *
 * - Every DynamoDB and S3 call: the SDK's `standard` retry mode, 3 attempts
 *   (throttling, 5xx, resets and timeouts are retried with jittered
 *   exponential backoff; a failed condition is not), a connection timeout and
 *   a request timeout that end a call storage does not answer (the SDK only
 *   warns about a request timeout unless told to throw).
 * - An API request's calls also stop when its Lambda is about to time out:
 *   the HTTP stack answers `503 TIMEOUT` shortly before the function's
 *   deadline and aborts the handler's signal; every storage call made under
 *   that request (found through `runWithAbortSignal`) is aborted with it, so
 *   abandoned work does not go on writing while the caller already retries.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface StorageCallLimits {
  /** Attempts per call, the first included (the SDK's `maxAttempts`). */
  readonly maxAttempts: number;
  /** Time to open a connection. */
  readonly connectionTimeoutMs: number;
  /** Time from sending a call to its complete answer. */
  readonly requestTimeoutMs: number;
}

/** DynamoDB answers in milliseconds; a call that takes seconds is lost, and trying again is what helps. */
export const DYNAMODB_CALL_LIMITS: StorageCallLimits = { maxAttempts: 3, connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 };
/** S3 carries whole segments (megabytes) for the compactor: a longer request timeout. */
export const S3_CALL_LIMITS: StorageCallLimits = { maxAttempts: 3, connectionTimeoutMs: 1_000, requestTimeoutMs: 10_000 };

/** How long before its Lambda's timeout an API request gives up and answers `503 TIMEOUT`. */
export const ABANDON_BEFORE_TIMEOUT_MS = 500;

const requestSignals = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` so that every storage call it makes is aborted when `signal` is. */
export function runWithAbortSignal<T>(signal: AbortSignal, work: () => T): T {
  // Each call in flight listens to it (a fetch reads 16 partitions at once): more than Node's default of 10 is expected.
  setMaxListeners(0, signal);
  return requestSignals.run(signal, work);
}

/**
 * Node's HTTP handler with `limits`, joining the abort signal of the request
 * a call is made for (if any) to the call's own.
 */
class RequestBoundHttpHandler extends NodeHttpHandler {
  override handle(...[request, options = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const requestSignal = requestSignals.getStore();
    if (!requestSignal) return super.handle(request, options);
    const own = options.abortSignal as AbortSignal | undefined;
    return super.handle(request, { ...options, abortSignal: own ? AbortSignal.any([own, requestSignal]) : requestSignal });
  }
}

/** The client settings for `limits`: `standard` retries and the handler above. */
export function storageClientSettings(limits: StorageCallLimits) {
  const requestHandler = new RequestBoundHttpHandler({
    connectionTimeout: limits.connectionTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
  return { maxAttempts: limits.maxAttempts, retryMode: 'standard', requestHandler } as const;
}

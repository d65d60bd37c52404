import { BrookError } from '../../protocol/errors.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
]);

const UNAVAILABLE = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);

// AbortError: a call aborted because its request was abandoned at the Lambda's deadline (callLimits.ts).
const TIMEOUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT']);

/** Whether `error` is DynamoDB's answer to a failed condition expression. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE.has(code) || TIMEOUT.has(code))) return code;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Turns an AWS SDK error into the contract's error where one fits
 * (throttling -> THROTTLED, service or network trouble -> UNAVAILABLE,
 * timeouts -> TIMEOUT); anything else is returned unchanged and ends as a
 * generic 500 without internals.
 */
export function translateStorageError(error: unknown): unknown {
  if (error instanceof BrookError) return error;
  const name = errorName(error);
  if (name === undefined) return error;
  const options = { cause: error };
  if (THROTTLING.has(name)) return new BrookError('THROTTLED', 'storage is throttling requests; retry with backoff', {}, options);
  if (TIMEOUT.has(name)) return new BrookError('TIMEOUT', 'storage did not answer in time; retry', {}, options);
  if (UNAVAILABLE.has(name)) return new BrookError('UNAVAILABLE', 'storage is unavailable; retry', {}, options);
  return error;
}

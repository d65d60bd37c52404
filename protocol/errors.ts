/**
 * The error table of the Brook HTTP API v1 (docs/http.md, Conventions, "Errors").
 *
 * One row per stable `code`: the HTTP status it is sent with and whether a
 * client may retry it. Server, SDK and CLI all read this table; nothing else
 * decides a status or a retriable flag.
 */
export const ERROR_TABLE = {
  INVALID_REQUEST: { status: 400, retriable: false },
  INVALID_TOPIC: { status: 400, retriable: false },
  INVALID_CONFIG: { status: 400, retriable: false },
  INVALID_RECORD: { status: 400, retriable: false },
  INVALID_OFFSET: { status: 400, retriable: false },
  UNAUTHENTICATED: { status: 401, retriable: false },
  FORBIDDEN: { status: 403, retriable: false },
  TOPIC_NOT_FOUND: { status: 404, retriable: false },
  PARTITION_NOT_FOUND: { status: 404, retriable: false },
  GROUP_NOT_FOUND: { status: 404, retriable: false },
  MEMBER_NOT_FOUND: { status: 404, retriable: false },
  SUBSCRIPTION_NOT_FOUND: { status: 404, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  METHOD_NOT_ALLOWED: { status: 405, retriable: false },
  TOPIC_EXISTS: { status: 409, retriable: false },
  SUBSCRIPTION_EXISTS: { status: 409, retriable: false },
  GROUP_NOT_EMPTY: { status: 409, retriable: false },
  OFFSET_MISMATCH: { status: 409, retriable: false },
  PRODUCER_FENCED: { status: 409, retriable: false },
  OUT_OF_ORDER_SEQUENCE: { status: 409, retriable: false },
  UNKNOWN_PRODUCER: { status: 409, retriable: false },
  FENCED_MEMBER: { status: 409, retriable: false },
  REBALANCE_IN_PROGRESS: { status: 409, retriable: true },
  RECORD_TOO_LARGE: { status: 413, retriable: false },
  REQUEST_TOO_LARGE: { status: 413, retriable: false },
  OFFSET_OUT_OF_RANGE: { status: 416, retriable: false },
  THROTTLED: { status: 429, retriable: true, retryAfterSeconds: 1 },
  INTERNAL: { status: 500, retriable: false },
  UNAVAILABLE: { status: 503, retriable: true },
  TIMEOUT: { status: 503, retriable: true },
} as const satisfies Record<string, { status: number; retriable: boolean; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** Extra fields sent next to `code`, `message` and `retriable` (e.g. `highWatermark`). */
export type ErrorDetails = Record<string, unknown>;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retriable: boolean } & ErrorDetails;
}

/**
 * How long a client should wait before retrying `code`, sent as the
 * `Retry-After` header: storage throttling lasts about a second, so an
 * immediate retry would be throttled again. Undefined for every other code:
 * a client retries those after its own short, jittered backoff.
 */
export function retryAfterSeconds(code: ErrorCode): number | undefined {
  const row = ERROR_TABLE[code];
  return 'retryAfterSeconds' in row ? row.retryAfterSeconds : undefined;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value);
}

/**
 * An error with a code from the contract. Thrown by the core, turned into a
 * response by the HTTP layer, rebuilt from a response by the SDK.
 */
export class BrookError extends Error {
  override readonly name = 'BrookError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.retriable = ERROR_TABLE[code].retriable;
    this.details = details;
  }

  toJSON(): ErrorBody {
    return {
      error: { ...this.details, code: this.code, message: this.message, retriable: this.retriable },
    };
  }
}

/** Shorthand: `brookError('TOPIC_NOT_FOUND', 'topic "x" does not exist')`. */
export function brookError(code: ErrorCode, message: string, details?: ErrorDetails): BrookError {
  return new BrookError(code, message, details);
}

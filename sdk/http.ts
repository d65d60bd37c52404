/**
 * The SDK's transport: the global `fetch` (or one given), a base url, the
 * bearer key, JSON in and out, an `x-request-id` per request, and every
 * failure as a `BrookError`: error responses rebuilt from the contract's
 * `code` (status and `retriable` from protocol/errors.ts), network failures
 * and timeouts as retriable `UNAVAILABLE` / `TIMEOUT`.
 */
import { randomUUID } from 'node:crypto';
import { BrookError, isErrorCode, type ErrorCode } from '../protocol/errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Base url, e.g. `http://127.0.0.1:8080` (a trailing `/v1` or `/` is fine). */
  readonly url: string;
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Per-request timeout; a request still running then fails with a retriable `TIMEOUT`. @default 30000 */
  readonly requestTimeoutMs?: number;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as it is, with `contentType`. */
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly requestId?: string;
  /** Adds to the request timeout (a long poll's `waitMs`). */
  readonly extraTimeoutMs?: number;
  /** Cancels the request (a long poll no longer wanted); it then rejects with a retriable error. */
  readonly signal?: AbortSignal;
}

export interface HttpResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly requestId: string;
}

/** The code a response without a known `code` gets, from its status alone. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 413) return 'REQUEST_TOO_LARGE';
  if (status === 429) return 'THROTTLED';
  if (status === 502 || status === 503) return 'UNAVAILABLE';
  if (status === 504) return 'TIMEOUT';
  if (status >= 500) return 'INTERNAL';
  return 'INVALID_REQUEST';
}

/**
 * Rebuilds the error of a response body `{"error": {code, message, retriable, ...details}}`.
 * A body that is not of that shape (a proxy's page) is judged by its status.
 */
export function errorFromResponse(status: number, body: unknown, requestId?: string, retryAfterMs?: number): BrookError {
  const answered = { ...(requestId === undefined ? {} : { requestId }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const error = (body as { error?: unknown } | null)?.error;
  if (error !== null && typeof error === 'object') {
    const { code, message, retriable: _retriable, ...details } = error as Record<string, unknown>;
    if (isErrorCode(code)) {
      return new BrookError(code, typeof message === 'string' ? message : code, { ...details, ...answered });
    }
  }
  const code = codeForStatus(status);
  return new BrookError(code, `HTTP ${status} without a Brook error body`, { httpStatus: status, ...answered });
}

/**
 * A `Retry-After` header (seconds, or an HTTP date) in milliseconds; the retry
 * loop waits at least this long (retry.ts). Undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A request to `target` (the base url) that got no answer: retriable, since
 * the server may not have seen it (or may have: see the producer).
 */
export function networkError(cause: unknown, requestId: string, timedOut: boolean, target: string): BrookError {
  const reason = reasonOf(cause);
  return timedOut
    ? new BrookError('TIMEOUT', `no answer from ${target} within the request timeout (${reason})`, { origin: 'sdk', requestId }, { cause })
    : new BrookError('UNAVAILABLE', `could not reach ${target}: ${reason}`, { origin: 'sdk', requestId }, { cause });
}

/** fetch's own message ("fetch failed") with the system's reason under it ("connect ECONNREFUSED 127.0.0.1:8080"). */
function reasonOf(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const inner = cause instanceof Error ? cause.cause : undefined;
  return inner instanceof Error && inner.message !== '' ? `${message} (${inner.message})` : message;
}

export class HttpTransport {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(options: TransportOptions) {
    if (!options.url) throw new TypeError('a Brook url is required (option `url` or BROOK_URL)');
    if (!options.apiKey) throw new TypeError('a Brook API key is required (option `apiKey` or BROOK_API_KEY)');
    // Checked here, without echoing it: fetch would otherwise fail with the whole header, key included, in its message.
    if (!/^[\x21-\x7e]+$/.test(options.apiKey)) {
      throw new TypeError('the Brook API key has characters an HTTP header cannot carry (a space, a line break?); check how it was read');
    }
    this.baseUrl = options.url.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** Sends one request (no retries); resolves with a 2xx answer, rejects with a `BrookError`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const requestId = options.requestId ?? randomUUID();
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: 'application/json',
      'x-request-id': requestId,
    };
    let body: RequestInit['body'] | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      body = options.body;
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs + (options.extraTimeoutMs ?? 0));
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url.toString(), { method, headers, ...(body !== undefined ? { body } : {}), signal });
      text = await response.text();
    } catch (error) {
      throw networkError(error, requestId, timeout.aborted, this.baseUrl);
    }
    const answeredId = response.headers.get('x-request-id') ?? requestId;
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(response.status, parsed, answeredId, retryAfterMs(response.headers.get('retry-after')));
    }
    return { status: response.status, body: parsed as T, requestId: answeredId };
  }
}

/** `encodeURIComponent` for a path segment. */
export const segment = (value: string | number): string => encodeURIComponent(String(value));

/**
 * The console's one way to Brook: `fetch` on the public HTTP API (same
 * origin), with the pasted key as a bearer token. Every failure becomes an
 * `ApiError` with the contract's `{error: {code, message}}`.
 */

/** A failed call: the contract's code and message, or `NETWORK` / `BAD_RESPONSE` when no such answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined>;

/** `signal` aborts the call: it then rejects with the browser's `AbortError`, not an `ApiError`. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface Api {
  get<T>(path: string, query?: Query, options?: CallOptions): Promise<T>;
  post<T>(path: string, body?: unknown, options?: CallOptions): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

/** `/v1/topics/{name}` with each segment escaped. */
export function path(...segments: (string | number)[]): string {
  return `/v1/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

async function call<T>(key: string, method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
      ...(signal === undefined ? {} : { signal }),
    });
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'NETWORK', `Brook did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'BAD_RESPONSE', `HTTP ${response.status}: the answer is not JSON`);
    }
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (error && typeof error.code === 'string') {
      const { code, message, ...details } = error as Record<string, unknown>;
      throw new ApiError(response.status, code as string, typeof message === 'string' ? message : code as string, details);
    }
    throw new ApiError(response.status, 'BAD_RESPONSE', `HTTP ${response.status} without an error body`);
  }
  return parsed as T;
}

/** A client for the key; `base` is the API's origin (the console's own by default). */
export function createApi(key: string, base = ''): Api {
  const url = (p: string, query?: Query) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(name, String(value));
    const qs = params.toString();
    return `${base}${p}${qs ? `?${qs}` : ''}`;
  };
  return {
    get: (p, query, options) => call(key, 'GET', url(p, query), undefined, options?.signal),
    post: (p, body, options) => call(key, 'POST', url(p), body ?? {}, options?.signal),
    patch: (p, body) => call(key, 'PATCH', url(p), body),
    del: async (p) => {
      await call<unknown>(key, 'DELETE', url(p));
    },
  };
}

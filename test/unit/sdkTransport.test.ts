/**
 * The SDK's transport, error rebuilding and retry policy, with a fake fetch
 * (no server): what goes on the wire and how answers are classified.
 */
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../sdk/http.js';
import { backoffMs, Brook, BrookError, errorFromResponse, HttpTransport, retry, type FetchLike } from '../../sdk/index.js';
import { delayBeforeRetry } from '../../sdk/retry.js';

const FAST_RETRY = { maxRetries: 3, initialMs: 5, maxMs: 20 };

describe('Transport and retry (no server)', () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}): FetchLike => async () => new Response(body, { status, headers });

  it('sends the bearer key, JSON and an x-request-id, and drops a trailing /v1 from the url', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const recording: FetchLike = async (url, init) => {
      seen = { url, init };
      return new Response('{"topics":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const client = new Brook({ url: 'http://brook.example/v1/', apiKey: 'secret', fetch: recording });
    expect(await client.admin().listTopics()).toEqual([]);
    expect(seen!.url).toBe('http://brook.example/v1/topics');
    const headers = seen!.init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer secret');
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rebuilds errors from the body, or from the status when the body is not a Brook error', () => {
    const fromBody = errorFromResponse(416, { error: { code: 'OFFSET_OUT_OF_RANGE', message: 'm', retriable: false, logStartOffset: 3, highWatermark: 9 } }, 'rid');
    expect(fromBody).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', status: 416, retriable: false, message: 'm', details: { logStartOffset: 3, highWatermark: 9, requestId: 'rid' } });
    expect(errorFromResponse(502, undefined)).toMatchObject({ code: 'UNAVAILABLE', retriable: true });
    expect(errorFromResponse(504, 'gateway')).toMatchObject({ code: 'TIMEOUT', retriable: true });
    expect(errorFromResponse(429, {})).toMatchObject({ code: 'THROTTLED', retriable: true });
    expect(errorFromResponse(500, { error: { code: 'SOMETHING_NEW' } })).toMatchObject({ code: 'INTERNAL', retriable: false });
  });

  it('retries retriable answers (THROTTLED, REBALANCE_IN_PROGRESS) and not the others', async () => {
    let calls = 0;
    const throttledTwice: FetchLike = async (url, init) => {
      calls++;
      if (calls <= 2) return answer(429, '{"error":{"code":"THROTTLED","message":"slow down","retriable":true}}')(url, init);
      return answer(200, '{"groups":[]}')(url, init);
    };
    const client = new Brook({ url: 'http://brook.example', apiKey: 'k', fetch: throttledTwice, retry: FAST_RETRY });
    expect(await client.admin().listGroups()).toEqual([]);
    expect(calls).toBe(3);

    let forbidden = 0;
    const refusing: FetchLike = async (url, init) => {
      forbidden++;
      return answer(403, '{"error":{"code":"FORBIDDEN","message":"no","retriable":false}}')(url, init);
    };
    const denied = new Brook({ url: 'http://brook.example', apiKey: 'k', fetch: refusing, retry: FAST_RETRY });
    await expect(denied.admin().listGroups()).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403, retriable: false });
    expect(forbidden).toBe(1);
  });

  it("keeps the server's Retry-After on the error and waits at least that long, up to maxMs", async () => {
    const throttled = new HttpTransport({
      url: 'http://brook.example',
      apiKey: 'k',
      fetch: answer(429, '{"error":{"code":"THROTTLED","message":"slow down","retriable":true}}', { 'retry-after': '1' }),
    });
    const error = await throttled.request('GET', '/v1/topics').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'THROTTLED', details: { retryAfterMs: 1000 } });
    const noJitter = { random: () => 0, initialMs: 100, maxMs: 10_000 };
    expect(delayBeforeRetry(error, 0, noJitter)).toBe(1000);
    expect(delayBeforeRetry(error, 0, { ...noJitter, maxMs: 300 })).toBe(300);
    expect(delayBeforeRetry(new BrookError('UNAVAILABLE', 'x'), 0, noJitter)).toBe(0);
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('a request cancelled by its caller is a retriable UNAVAILABLE, not a TIMEOUT', async () => {
    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const transport = new HttpTransport({ url: 'http://brook.example', apiKey: 'k', fetch: hanging });
    const cancel = new AbortController();
    const pending = transport.request('POST', '/v1/fetch', { json: {}, signal: cancel.signal });
    cancel.abort();
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE', retriable: true });
  });

  it('a request that outlives requestTimeoutMs is a retriable TIMEOUT', async () => {
    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const client = new Brook({ url: 'http://brook.example', apiKey: 'k', fetch: hanging, requestTimeoutMs: 50, retry: { maxRetries: 0 } });
    await expect(client.admin().listTopics()).rejects.toMatchObject({ code: 'TIMEOUT', retriable: true });
  });

  it('backs off exponentially with full jitter, capped by maxMs, and gives up after maxRetries', async () => {
    expect(backoffMs(0, { initialMs: 100, maxMs: 1_000, random: () => 0.999 })).toBe(99);
    expect(backoffMs(3, { initialMs: 100, maxMs: 1_000, random: () => 0.5 })).toBe(400);
    expect(backoffMs(10, { initialMs: 100, maxMs: 1_000, random: () => 0.5 })).toBe(500);
    expect(backoffMs(5, { random: () => 0 })).toBe(0);
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(new BrookError('UNAVAILABLE', 'down'));
    };
    await expect(retry(failing, { maxRetries: 2, initialMs: 1, maxMs: 1 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(attempts).toBe(3);
  });
});

describe('API key checks', () => {
  it('a key with a line break or a space is refused up front, and the message does not contain it', () => {
    for (const apiKey of ['brook_secret\nsecond-line', 'brook secret', 'brook_sécret']) {
      let message = '';
      try {
        new Brook({ url: 'http://brook.example', apiKey });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/cannot carry/);
      expect(message).not.toContain('secret');
    }
  });
});

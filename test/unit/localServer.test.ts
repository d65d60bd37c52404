import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { handler as fallbackHandler } from '../../functions/handlers/fallback.js';
import type { FunctionName } from '../../functions/layout/routes.js';
import { buildEvent, isTextContentType, startLocalServer, type LambdaHandler, type LocalServer } from '../../local/server.js';
import { MAX_REQUEST_BYTES } from '../../protocol/limits.js';

// No emulator is involved: the handlers here are fakes, and nothing reads the config.
const CONFIG: BrookConfig = {
  tables: { log: 'l', topics: 't', groups: 'g', keys: 'k', subscriptions: 's' },
  bucket: 'b',
  region: 'us-east-1',
  keyCacheTtlMs: 0,
  inlineBatchMaxBytes: 16_384,
  compactMinAgeMs: 300_000,
  subscriptionBackoffMs: 1_000,
  allowPrivateTargets: true,
};

const NOW = Date.UTC(2025, 10, 21, 23, 38, 5);

describe('Function: buildEvent', () => {
  it('routes a matched request to its function with the route key and decoded path parameters', () => {
    // Act
    const { event, functionName } = buildEvent({
      method: 'get',
      url: '/v1/topics/orders%2Ev2%20x',
      rawHeaders: ['Host', '127.0.0.1:8080'],
      body: Buffer.alloc(0),
      requestId: 'req-1',
      now: NOW,
    });

    // Assess
    expect(functionName).toBe('topics');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/topics/{topic}',
      rawPath: '/v1/topics/orders%2Ev2%20x',
      rawQueryString: '',
      pathParameters: { topic: 'orders.v2 x' },
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: expect.any(String),
        domainName: '127.0.0.1',
        http: { method: 'GET', path: '/v1/topics/orders%2Ev2%20x', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
        requestId: 'req-1',
        routeKey: 'GET /v1/topics/{topic}',
        stage: '$default',
        time: '21/Nov/2025:23:38:05 +0000',
        timeEpoch: NOW,
      },
    });
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('cookies');
  });

  it('sends unknown paths and wrong methods to the fallback function as $default', () => {
    const unknown = buildEvent({ method: 'GET', url: '/v2/nothing', rawHeaders: [], body: Buffer.alloc(0) });
    const wrongMethod = buildEvent({ method: 'PUT', url: '/v1/topics/orders', rawHeaders: [], body: Buffer.alloc(0) });

    for (const built of [unknown, wrongMethod]) {
      expect(built.functionName).toBe('fallback');
      expect(built.event.routeKey).toBe('$default');
      expect(built.event.requestContext.routeKey).toBe('$default');
      expect(built.event).not.toHaveProperty('pathParameters');
    }
  });

  it('keeps the raw query string and joins repeated parameters with commas, decoded', () => {
    const { event } = buildEvent({
      method: 'GET',
      url: '/v1/topics?x=1&x=2&name=a%20b&empty=',
      rawHeaders: [],
      body: Buffer.alloc(0),
    });

    expect(event.rawPath).toBe('/v1/topics');
    expect(event.rawQueryString).toBe('x=1&x=2&name=a%20b&empty=');
    expect(event.queryStringParameters).toEqual({ x: '1,2', name: 'a b', empty: '' });
  });

  it('lower-cases header names, joins repeated headers with commas and moves cookies to `cookies`', () => {
    const { event } = buildEvent({
      method: 'GET',
      url: '/v1/health',
      rawHeaders: [
        'X-Request-ID', 'abc',
        'Accept', 'text/plain',
        'accept', 'application/json',
        'User-Agent', 'curl/8',
        'Cookie', 'a=1; b=2',
        'Cookie', 'c=3',
      ],
      body: Buffer.alloc(0),
    });

    expect(event.headers).toEqual({ 'x-request-id': 'abc', accept: 'text/plain,application/json', 'user-agent': 'curl/8' });
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(event.requestContext.http.userAgent).toBe('curl/8');
  });

  it('passes JSON and text bodies as UTF-8 text', () => {
    const json = '{"name":"ördérs"}';
    const { event } = buildEvent({
      method: 'POST',
      url: '/v1/topics',
      rawHeaders: ['Content-Type', 'application/json; charset=utf-8'],
      body: Buffer.from(json, 'utf8'),
    });

    expect(event.body).toBe(json);
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes binary bodies (and bodies without a content type) as base64', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
    for (const rawHeaders of [['Content-Type', 'application/vnd.brook.batch'], []]) {
      const { event } = buildEvent({ method: 'POST', url: '/v1/topics/t/records?partition=0', rawHeaders, body: bytes });

      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    }
  });

  it('treats text/*, JSON and XML types (and their +json/+xml forms) as text', () => {
    expect(isTextContentType('text/plain; charset=latin1')).toBe(true);
    expect(isTextContentType('Application/JSON')).toBe(true);
    expect(isTextContentType('application/problem+json')).toBe(true);
    expect(isTextContentType('application/xml')).toBe(true);
    expect(isTextContentType('application/octet-stream')).toBe(false);
    expect(isTextContentType('application/vnd.brook.batch')).toBe(false);
    expect(isTextContentType(undefined)).toBe(false);
  });
});

describe('Function: startLocalServer', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (handlers: Partial<Record<FunctionName, LambdaHandler>>, timeoutMs?: number) => {
    const logError = vi.fn();
    server = await startLocalServer({
      config: CONFIG,
      setEnvironment: false,
      logError,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      loadHandler: async (name) => {
        const handler = handlers[name];
        if (!handler) throw new Error(`no fake handler for ${name}`);
        return handler;
      },
    });
    return { url: server.url, logError };
  };

  it('invokes the matched function with the event and a Lambda context, and writes its result', async () => {
    // Prepare
    let seen: { event: APIGatewayProxyEventV2; context: Context; remaining: number } | undefined;
    const { url } = await start({
      topics: (event, context) => {
        seen = { event, context, remaining: context.getRemainingTimeInMillis() };
        return {
          statusCode: 201,
          headers: { 'content-type': 'application/json', 'x-request-id': 'from-handler', 'x-count': 3 },
          cookies: ['a=1; Path=/', 'b=2'],
          body: '{"ok":true}',
        };
      },
    });

    // Act
    const response = await fetch(`${url}/v1/topics?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Trace': 't1' },
      body: '{"name":"orders"}',
    });

    // Assess
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('x-request-id')).toBe('from-handler');
    expect(response.headers.get('x-count')).toBe('3');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(seen!.event).toMatchObject({
      routeKey: 'POST /v1/topics',
      body: '{"name":"orders"}',
      isBase64Encoded: false,
      queryStringParameters: { x: '1' },
      headers: { 'x-trace': 't1', 'content-type': 'application/json' },
    });
    expect(seen!.context.awsRequestId).toEqual(expect.any(String));
    expect(seen!.context.functionName).toContain('topics');
    expect(seen!.remaining).toBeGreaterThan(25_000);
    expect(seen!.remaining).toBeLessThanOrEqual(30_000);
  });

  it('serves the real fallback: 405 with the Allow header, and a JSON body ending with a newline', async () => {
    const { url } = await start({ fallback: fallbackHandler as LambdaHandler });

    const response = await fetch(`${url}/v1/topics/orders`, { method: 'PUT' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, PATCH, DELETE');
    const text = await response.text();
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', allowed: ['GET', 'PATCH', 'DELETE'] });
  });

  it('decodes a base64 result body', async () => {
    const bytes = Buffer.from([1, 2, 250, 0]);
    const { url } = await start({
      health: () => ({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes.toString('base64'), isBase64Encoded: true }),
    });

    const response = await fetch(`${url}/v1/health`);

    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('answers 500 INTERNAL without internals when a handler throws', async () => {
    const { url, logError } = await start({ fallback: () => Promise.reject(new Error('secret table brook-x exploded')) });

    const response = await fetch(`${url}/nowhere`, { headers: { 'x-request-id': 'caller-id' } });

    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('caller-id');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal error', retriable: false } });
    expect(text).not.toContain('secret');
    expect(logError).toHaveBeenCalled();
  });

  it('answers 503 TIMEOUT when a handler runs past the timeout', async () => {
    const { url } = await start({ health: () => new Promise(() => undefined) }, 100);

    const response = await fetch(`${url}/v1/health`);

    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ error: { code: 'TIMEOUT', message: expect.any(String), retriable: true } });
  });

  it('accepts a body of exactly 6 MB', async () => {
    let received = -1;
    const { url } = await start({
      topics: (event) => {
        received = Buffer.from(event.body!, event.isBase64Encoded ? 'base64' : 'utf8').length;
        return { statusCode: 204 };
      },
    });

    const response = await fetch(`${url}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(MAX_REQUEST_BYTES, 1),
    });

    expect(response.status).toBe(204);
    expect(received).toBe(MAX_REQUEST_BYTES);
  });

  it('answers 413 REQUEST_TOO_LARGE for a body over 6 MB, without invoking the handler', async () => {
    // Prepare
    const topics = vi.fn<LambdaHandler>(() => ({ statusCode: 200 }));
    const { url } = await start({ topics });

    // Act
    const response = await fetch(`${url}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(await response.json()).toEqual({
      error: { code: 'REQUEST_TOO_LARGE', message: expect.any(String), retriable: false },
    });
    expect(topics).not.toHaveBeenCalled();
  });

  it('answers 413 to `Expect: 100-continue` with an oversize Content-Length before the body is sent', async () => {
    const { url } = await start({ topics: () => ({ statusCode: 200 }) });
    const { port } = new URL(url);

    const result = await new Promise<{ status: number; body: string; bodySent: boolean }>((resolve, reject) => {
      let bodySent = false;
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/topics',
        headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024), expect: '100-continue' },
      });
      req.on('continue', () => {
        bodySent = true;
        req.destroy();
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body, bodySent });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });

    expect(result.bodySent).toBe(false);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.code).toBe('REQUEST_TOO_LARGE');
  });
});

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Principal } from '../../functions/auth/ApiKeyStore.js';
import { ADMIN_PERMISSIONS } from '../../functions/auth/permissions.js';
import { handler as fallbackHandler } from '../../functions/handlers/fallback.js';
import { handler as healthHandler } from '../../functions/handlers/health.js';
import { createHttpHandler, defineRoute } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { MAX_REQUEST_BYTES } from '../../protocol/limits.js';
import { ok } from '../../functions/http/response.js';
import { BrookError } from '../../protocol/errors.js';
import { apiEvent, invoke, lambdaContext } from '../helpers/apiEvent.js';

const ADMIN_KEY = 'admin-secret';
const READER_KEY = 'reader-secret';
const principals: Record<string, Principal> = {
  [ADMIN_KEY]: { keyId: 'key_admin', principal: 'admin', permissions: [...ADMIN_PERMISSIONS] },
  [READER_KEY]: { keyId: 'key_reader', principal: 'reader', permissions: [{ resource: 'topic:orders', operations: ['read'] }] },
};
// A fake of the key store: authentication logic is pure here; the store itself is tested against DynamoDB Local.
const keys = { authenticate: async (secret: string) => principals[secret] };

let calls = 0;
/** When the hanging route saw its signal aborted. */
const abandoned: number[] = [];
const handler = createHttpHandler({
  logger: silentLogger,
  keys,
  routes: {
    'POST /v1/topics': defineRoute({
      body: z.strictObject({ name: z.string(), partitions: z.int().min(1).optional() }),
      invalidBodyCode: (path) => (path[0] === 'name' ? 'INVALID_TOPIC' : 'INVALID_REQUEST'),
      handle({ body, authorize }) {
        authorize({ type: 'topic', name: body.name }, 'admin');
        calls++;
        return ok({ created: body.name }, 201);
      },
    }),
    'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
      // Stands for a request whose storage calls hang: it ends only when its signal is aborted.
      async handle({ signal }) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        abandoned.push(Date.now());
        return ok({});
      },
    }),
    'GET /v1/topics/{topic}': defineRoute({
      handle({ params, principal }) {
        if (params.topic === 'boom') throw new Error('secret internals: table brook-prod-log');
        if (params.topic === 'busy') throw Object.assign(new Error('rate'), { name: 'ProvisionedThroughputExceededException' });
        if (params.topic === 'missing') throw new BrookError('TOPIC_NOT_FOUND', 'no such topic');
        if (params.topic === 'contended') throw new BrookError('UNAVAILABLE', 'the partition is too contended to append now; retry');
        return ok({ topic: params.topic, principal: principal?.principal });
      },
    }),
  },
});

describe('http: the middy stack', () => {
  it('echoes a caller request id, and makes one otherwise', async () => {
    const echoed = await invoke(handler, { method: 'GET', path: '/v1/topics/a', apiKey: ADMIN_KEY, headers: { 'x-request-id': 'abc-123' } });
    const generated = await invoke(handler, { method: 'GET', path: '/v1/topics/a', apiKey: ADMIN_KEY });

    expect(echoed.headers['x-request-id']).toBe('abc-123');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts a request id on errors too, and ignores an unsafe one', async () => {
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/a', headers: { 'x-request-id': 'bad id\n' } });
    expect(response.status).toBe(401);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a missing, malformed or unknown key with 401 UNAUTHENTICATED', async () => {
    const missing = await invoke(handler, { method: 'GET', path: '/v1/topics/a' });
    const notBearer = await invoke(handler, { method: 'GET', path: '/v1/topics/a', headers: { authorization: `Basic ${ADMIN_KEY}` } });
    const unknown = await invoke(handler, { method: 'GET', path: '/v1/topics/a', apiKey: 'nope' });

    for (const response of [missing, notBearer, unknown]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String), retriable: false } });
    }
  });

  it('says a malformed Authorization header is malformed (401), and never echoes it', async () => {
    const headers = [`Basic ${ADMIN_KEY}`, 'Bearer', 'Bearer   ', `${ADMIN_KEY}`, `Bearer ${ADMIN_KEY} extra`, `Token ${READER_KEY}`];
    for (const authorization of headers) {
      const response = await invoke(handler, { method: 'GET', path: '/v1/topics/a', headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(response.body.error, authorization).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/^malformed Authorization header \(.+\): send "Authorization: Bearer <api key>"$/) });
      expect(JSON.stringify(response), authorization).not.toContain(ADMIN_KEY);
      expect(JSON.stringify(response), authorization).not.toContain(READER_KEY);
    }
    const missing = await invoke(handler, { method: 'GET', path: '/v1/topics/a' });
    expect(missing.body.error.message).toMatch(/^missing API key/);
  });

  it('authenticates before it reads the body', async () => {
    const response = await invoke(handler, { method: 'POST', path: '/v1/topics', rawBody: '{not json' });
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses malformed JSON, a missing body and wrong types with 400', async () => {
    const malformed = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, rawBody: '{"name": ' });
    const missing = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY });
    const wrongType = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, body: { name: 42 } });
    const array = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, body: [] });
    const unknownField = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, body: { name: 'a', color: 'red' } });

    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_REQUEST');
    expect(missing.body.error.code).toBe('INVALID_REQUEST');
    expect(wrongType.body.error).toMatchObject({ code: 'INVALID_TOPIC', message: expect.stringContaining('name') });
    expect(array.body.error.code).toBe('INVALID_REQUEST');
    expect(unknownField.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('color') });
  });

  it('names a missing required field "missing field <name>"', async () => {
    const missingName = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, body: { partitions: 2 } });
    const nullName = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: ADMIN_KEY, body: { name: null } });

    expect(missingName.body.error).toMatchObject({ code: 'INVALID_TOPIC', message: 'missing field name' });
    expect(nullName.body.error.message).not.toMatch(/^missing field/); // present, of the wrong type
  });

  it('ends every JSON body with a newline, errors included', async () => {
    const ok = await handler(apiEvent({ method: 'GET', path: '/v1/topics/a', apiKey: ADMIN_KEY }), lambdaContext());
    const error = await handler(apiEvent({ method: 'GET', path: '/v1/topics/missing', apiKey: ADMIN_KEY }), lambdaContext());
    const unauthenticated = await handler(apiEvent({ method: 'GET', path: '/v1/topics/a' }), lambdaContext());
    const notAllowed = await fallbackHandler(apiEvent({ method: 'PUT', path: '/v1/topics' }), lambdaContext());

    for (const response of [ok, error, unauthenticated, notAllowed]) {
      expect(response.body).toMatch(/^\{.*\}\n$/s);
      expect(JSON.parse(response.body!)).toEqual(expect.any(Object));
    }
  });

  it('reads a body sent with curl -d (form content type) as JSON', async () => {
    const response = await invoke(handler, {
      method: 'POST',
      path: '/v1/topics',
      apiKey: ADMIN_KEY,
      rawBody: '{"name":"orders"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response).toMatchObject({ status: 201, body: { created: 'orders' } });
  });

  it('refuses a body over 6 MB with 413 REQUEST_TOO_LARGE', async () => {
    const response = await invoke(handler, {
      method: 'POST',
      path: '/v1/topics',
      apiKey: ADMIN_KEY,
      rawBody: JSON.stringify({ name: 'x'.repeat(MAX_REQUEST_BYTES) }),
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('REQUEST_TOO_LARGE');
  });

  it('refuses with 403 FORBIDDEN and changes nothing when the key lacks the right', async () => {
    const before = calls;
    const response = await invoke(handler, { method: 'POST', path: '/v1/topics', apiKey: READER_KEY, body: { name: 'orders' } });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
    expect(calls).toBe(before);
  });

  it('maps a BrookError to its status and code', async () => {
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/missing', apiKey: ADMIN_KEY });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'TOPIC_NOT_FOUND', message: 'no such topic', retriable: false } });
  });

  it('maps storage throttling to 429 THROTTLED, retriable', async () => {
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/busy', apiKey: ADMIN_KEY });
    expect(response.status).toBe(429);
    expect(response.body.error).toMatchObject({ code: 'THROTTLED', retriable: true });
    expect(response.headers['retry-after']).toBe('1');
  });

  it('says Retry-After only where waiting helps: not on a 503 a retry at once may fix', async () => {
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/contended', apiKey: ADMIN_KEY });
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'UNAVAILABLE', retriable: true });
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('answers 503 TIMEOUT before the Lambda times out, and aborts the abandoned work', async () => {
    const started = Date.now();
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/a/partitions/0/records', apiKey: ADMIN_KEY, lambdaTimeoutMs: 800 });
    const answeredAfter = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'TIMEOUT', retriable: true });
    expect(answeredAfter).toBeLessThan(450); // half a second before the deadline, time to answer
    expect(answeredAfter).toBeGreaterThanOrEqual(250);
    expect(abandoned).toHaveLength(1);
  });

  it('turns an unknown error into a generic 500 with no internals', async () => {
    const response = await invoke(handler, { method: 'GET', path: '/v1/topics/boom', apiKey: ADMIN_KEY });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error', retriable: false } });
    expect(JSON.stringify(response)).not.toContain('brook-prod-log');
  });
});

describe('http: health and fallback', () => {
  it('answers GET /v1/health without a key', async () => {
    const response = await invoke(healthHandler, { method: 'GET', path: '/v1/health' });
    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers an unknown path with 404 NOT_FOUND', async () => {
    const response = await invoke(fallbackHandler, { method: 'GET', path: '/v1/nothing/here' });
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: 'NOT_FOUND', retriable: false });
  });

  it('answers a known path with a wrong method with 405 METHOD_NOT_ALLOWED', async () => {
    const response = await invoke(fallbackHandler, { method: 'PUT', path: '/v1/topics/orders' });
    expect(response.status).toBe(405);
    expect(response.body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', allowed: ['GET', 'PATCH', 'DELETE'] });
    expect(response.headers.allow).toBe('GET, PATCH, DELETE');
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('puts no Allow header on a 404', async () => {
    const response = await invoke(fallbackHandler, { method: 'GET', path: '/v1/nothing/here' });
    expect(response.headers).not.toHaveProperty('allow');
  });
});

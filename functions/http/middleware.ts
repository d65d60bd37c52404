import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BrookError, retryAfterSeconds } from '../../protocol/errors.js';
import { MAX_REQUEST_BYTES } from '../../protocol/limits.js';
import type { Permission } from '../../protocol/permissions.js';
import { translateStorageError } from '../storage/errors.js';
import type { Logger } from './logger.js';
import { toHttpResponse, type HttpResponse } from './response.js';

/** Shared state of one request, kept in middy's `request.internal`. */
export interface BrookInternal extends Record<string, unknown> {
  requestId: string;
  principal?: Principal;
  /** The key lookup still under way, on routes that read while it runs (`prefetch`); it sets `principal`. */
  authentication?: Promise<void>;
  body?: unknown;
}

type Middleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, import('aws-lambda').Context, BrookInternal>;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name] ?? event.headers?.[name.toLowerCase()];
}

/**
 * Outermost middleware: gives every request an id (the caller's
 * `x-request-id` when it is sane), refuses oversized bodies, and turns every
 * error into the contract's shape. Unknown errors become a generic 500 with
 * no internals in the message; they are logged with the request id.
 */
export function httpEnvelope(logger: Logger): Middleware {
  return {
    name: 'brookHttpEnvelope',
    before(request) {
      const callerId = header(request.event, 'x-request-id');
      request.internal.requestId =
        callerId !== undefined && REQUEST_ID_PATTERN.test(callerId) ? callerId : randomUUID();
      const params = request.event.pathParameters ?? {};
      logger.startRequest?.(
        { requestId: request.internal.requestId, topic: params.topic, partition: params.partition, groupId: params.group },
        request.context,
      );
      const body = request.event.body;
      if (body !== undefined) {
        const bytes = request.event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
        if (bytes > MAX_REQUEST_BYTES) {
          throw new BrookError('REQUEST_TOO_LARGE', `request body is over ${MAX_REQUEST_BYTES} bytes`);
        }
      }
    },
    onError(request) {
      const requestId = request.internal.requestId ?? randomUUID();
      const error = translateStorageError(request.error);
      if (error instanceof BrookError) {
        if (error.status >= 500) logger.warn('request failed', { requestId, code: error.code, cause: String(error.cause ?? '') });
        const retryAfter = retryAfterSeconds(error.code);
        const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
        request.response = toHttpResponse({ status: error.status, body: error.toJSON(), headers }, requestId);
        return;
      }
      logger.error('unhandled error', { requestId, error: errorForLog(error) });
      const internal = new BrookError('INTERNAL', 'internal error');
      request.response = toHttpResponse({ status: internal.status, body: internal.toJSON() }, requestId);
    },
  };
}

function errorForLog(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  return { name: error.name, message: error.message, stack: error.stack };
}

/** Who is calling, once their key (or IAM identity) has been checked. Never holds the secret. */
export interface Principal {
  /** The key used; undefined for an IAM caller, whose rights may come from several keys. */
  keyId?: string;
  principal: string;
  permissions: Permission[];
}

/** What authentication needs (the API key store has it): API keys, and (for stages with `auth: 'iam'`) IAM callers' grants. */
export interface KeyAuthenticator {
  /** The principal of a live key with this secret, or undefined. */
  authenticate(secret: string): Promise<Principal | undefined>;
  /** The rights granted to an IAM caller's ARN, or undefined when it has none. */
  authenticateIam?(callerArn: string): Promise<Principal | undefined>;
}

/** The caller's ARN when API Gateway's IAM authorizer checked a SigV4 signature (payload 2.0 shape). */
export function iamCallerArn(event: APIGatewayProxyEventV2): string | undefined {
  const authorizer = (event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } }).authorizer;
  const arn = authorizer?.iam?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

/**
 * Resolves the caller to a principal. With an IAM authorizer in front (the
 * event carries `requestContext.authorizer.iam`, which only API Gateway can
 * set), the caller is that IAM principal and gets the rights granted to its
 * ARN, or 403 when it has none. Otherwise it reads the bearer key, or
 * refuses with 401.
 */
export function authenticate(keys: KeyAuthenticator): Middleware {
  return {
    name: 'brookAuthenticate',
    async before(request) {
      const iamArn = iamCallerArn(request.event);
      if (iamArn !== undefined) {
        const principal = keys.authenticateIam ? await keys.authenticateIam(iamArn) : undefined;
        if (!principal) throw new BrookError('FORBIDDEN', 'this IAM principal has no Brook permissions: grant it with POST /v1/keys');
        request.internal.principal = principal;
        return;
      }
      const authorization = header(request.event, 'authorization');
      if (authorization === undefined || authorization.trim() === '') {
        throw new BrookError('UNAUTHENTICATED', 'missing API key: send "Authorization: Bearer <api key>"');
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) {
        // Say what is wrong with the header, never what it holds (it may be a secret).
        throw new BrookError('UNAUTHENTICATED', `malformed Authorization header (${describeMalformed(authorization)}): send "Authorization: Bearer <api key>"`);
      }
      const principal = await keys.authenticate(match[1]!);
      if (!principal) throw new BrookError('UNAUTHENTICATED', 'unknown, revoked or expired API key');
      request.internal.principal = principal;
    },
  };
}

/** What is wrong with an Authorization header that is not `Bearer <key>`, in words that quote none of it. */
function describeMalformed(authorization: string): string {
  const [scheme = '', ...rest] = authorization.trim().split(/\s+/);
  if (!/^bearer$/i.test(scheme)) return 'the scheme is not Bearer';
  return rest.length === 0 ? 'Bearer without a key' : 'a key must be one token, without spaces';
}

/**
 * Decodes the body and parses it as JSON. Any content type is read as JSON,
 * so that `curl -d` works as written; binary content types are left to the
 * route that declares them.
 */
export function parseJsonBody(binaryContentTypes: readonly string[] = []): Middleware {
  return {
    name: 'brookJsonBody',
    async before(request) {
      const { event } = request;
      if (event.body === undefined || event.body === '') return;
      const contentType = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (binaryContentTypes.includes(contentType)) return;
      const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      try {
        request.internal.body = JSON.parse(text);
      } catch {
        await request.internal.authentication; // an unknown caller hears 401 first
        throw new BrookError('INVALID_REQUEST', 'request body is not valid JSON');
      }
    },
  };
}

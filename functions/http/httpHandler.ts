import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { BrookError } from '../../protocol/errors.js';
import { isAllowed, type Operation, type Resource } from '../../protocol/permissions.js';
import { defaultLogger, type Logger } from './logger.js';
import { flushMetrics } from './metrics.js';
import { authenticate, httpEnvelope, parseJsonBody, type BrookInternal, type KeyAuthenticator, type Principal } from './middleware.js';
import { toHttpResponse, type HttpResponse, type HttpResult } from './response.js';
import { alwaysInvalidRequest, parseWith, type InvalidCodeFor } from './validation.js';
import { ABANDON_BEFORE_TIMEOUT_MS, runWithAbortSignal } from '../storage/callLimits.js';

/** What a route's `handle` receives: the parsed, validated, authenticated request. */
export interface RouteInput<TBody, TQuery> {
  body: TBody;
  query: TQuery;
  params: Readonly<Record<string, string>>;
  /** The parsed JSON body, for routes that read the body themselves (undefined for binary bodies). */
  jsonBody: unknown;
  /** Undefined only on public routes. */
  principal: Principal | undefined;
  /** Throws 403 FORBIDDEN unless the caller may do `operation` on `resource`. */
  authorize(resource: Resource, operation: Operation): void;
  /** Whether the caller may do `operation` on `resource` (for filtering lists). */
  can(resource: Resource, operation: Operation): boolean;
  requestId: string;
  event: APIGatewayProxyEventV2;
  /** Aborted shortly before the Lambda times out. */
  signal: AbortSignal;
  /** What the route's `prefetch` read (undefined without one). Await it only once the caller is authorized. */
  prefetched: Promise<unknown> | undefined;
}

/** What a route's `prefetch` receives: the validated request, before the caller is known. */
export type PrefetchInput<TBody, TQuery> = Pick<RouteInput<TBody, TQuery>, 'body' | 'query' | 'params' | 'jsonBody' | 'event'>;

export interface RouteSpec<TBody = undefined, TQuery = undefined> {
  /** Public routes skip authentication (only `GET /v1/health`). */
  public?: boolean;
  /** Schema of the JSON body; without it, a body is ignored. */
  body?: z.ZodType<TBody>;
  /** Whether a missing body is read as `{}`. @default false */
  bodyOptional?: boolean;
  /** Which error code a body validation failure gets. @default INVALID_REQUEST */
  invalidBodyCode?: InvalidCodeFor;
  /** Schema of the query string parameters. */
  query?: z.ZodType<TQuery>;
  invalidQueryCode?: InvalidCodeFor;
  /**
   * Reads the route can start before the caller is known, at the same time
   * as the key is looked up, so that the two cost one round trip. It must
   * change nothing; its result (or error) reaches `handle` as
   * `input.prefetched`, which `handle` awaits only after authorizing: a
   * caller without rights learns nothing from it.
   */
  prefetch?(input: PrefetchInput<TBody, TQuery>): Promise<unknown>;
  handle(input: RouteInput<TBody, TQuery>): Promise<HttpResult> | HttpResult;
}

/** Keeps a route's types while storing it in a table of routes. */
export function defineRoute<TBody = undefined, TQuery = undefined>(spec: RouteSpec<TBody, TQuery>): RouteSpec<unknown, unknown> {
  return spec as unknown as RouteSpec<unknown, unknown>;
}

export interface HttpHandlerOptions {
  /** Routes by API Gateway route key, e.g. `"POST /v1/topics"`. */
  routes: Readonly<Record<string, RouteSpec<unknown, unknown>>>;
  /** Needed unless every route is public. */
  keys?: KeyAuthenticator;
  logger?: Logger;
  /** Content types whose bodies are not JSON; routes read them from the event. */
  binaryContentTypes?: readonly string[];
}

export type BrookHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/**
 * The one middy stack every Lambda of the API uses: request id and error
 * mapping, authentication, JSON body parsing, then validation and dispatch
 * on the route key. Handlers only declare routes.
 */
export function createHttpHandler(options: HttpHandlerOptions): BrookHttpHandler {
  const logger = options.logger ?? defaultLogger();
  const { routes, keys } = options;
  const needsAuth = Object.values(routes).some((route) => !route.public);
  if (needsAuth && !keys) throw new Error('createHttpHandler: `keys` is required for authenticated routes');

  const dispatch = async (
    event: APIGatewayProxyEventV2,
    _context: Context,
    { signal }: { signal: AbortSignal },
    internal: BrookInternal,
  ): Promise<HttpResponse> => {
    const route = routes[event.routeKey];
    if (!route) throw new BrookError('NOT_FOUND', `no route ${event.routeKey}`);
    const params = (event.pathParameters ?? {}) as Record<string, string>;
    let body: unknown = undefined;
    let query: unknown = undefined;
    try {
      if (route.body) {
        const raw = internal.body ?? (route.bodyOptional ? {} : undefined);
        if (raw === undefined) throw new BrookError('INVALID_REQUEST', 'a JSON body is required');
        body = parseWith(route.body, raw, route.invalidBodyCode ?? alwaysInvalidRequest);
      }
      query = route.query
        ? parseWith(route.query, event.queryStringParameters ?? {}, route.invalidQueryCode ?? alwaysInvalidRequest, 'query')
        : undefined;
    } catch (error) {
      // An unknown caller hears 401 before anything about its request.
      await internal.authentication;
      throw error;
    }
    const prefetched = route.prefetch
      ? Promise.resolve().then(() => route.prefetch!({ body, query, params, jsonBody: internal.body, event }))
      : undefined;
    prefetched?.catch(ignore); // handled where `handle` awaits it; never an unhandled rejection meanwhile
    await internal.authentication;
    const principal = internal.principal;
    const can = (resource: Resource, operation: Operation): boolean =>
      principal !== undefined && isAllowed(principal.permissions, resource, operation);
    const authorize = (resource: Resource, operation: Operation): void => {
      if (!can(resource, operation)) {
        throw new BrookError('FORBIDDEN', `this key may not ${operation} ${describeResource(resource)}`);
      }
    };
    const result = await route.handle({
      body,
      query,
      params,
      jsonBody: internal.body,
      principal,
      authorize,
      can,
      requestId: internal.requestId,
      event,
      signal,
      prefetched,
    });
    return toHttpResponse(result, internal.requestId);
  };

  // middy hands the base handler only (event, context): the request's shared
  // state is found through its event object, which is unique per invocation
  // even when one process serves many requests at once (the local stack).
  const internalByEvent = new WeakMap<APIGatewayProxyEventV2, BrookInternal>();
  // Shortly before the Lambda's timeout middy answers 503 TIMEOUT and aborts `signal`; the storage calls made
  // under it are aborted with it (storage/callLimits.ts), so an abandoned request stops writing.
  const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, Context, BrookInternal>(
    (event: APIGatewayProxyEventV2, context: Context, opts: { signal: AbortSignal }) =>
      runWithAbortSignal(opts.signal, () => dispatch(event, context, opts, internalByEvent.get(event)!)),
    { timeoutEarlyInMillis: ABANDON_BEFORE_TIMEOUT_MS },
  );
  handler.use({
    name: 'brookRequestState',
    before(request) {
      internalByEvent.set(request.event, request.internal);
    },
  });
  // Outermost after the request state: flushes the invocation's metrics (EMF) once its response or error is made.
  handler.use(flushMetrics());
  handler.use(httpEnvelope(logger));
  if (keys) {
    const authenticateMiddleware = authenticate(keys);
    handler.use({
      name: 'brookAuthenticateUnlessPublic',
      async before(request) {
        const route = routes[request.event.routeKey];
        if (route?.public) return;
        const authentication = authenticateMiddleware.before!(request) as Promise<void>;
        if (!route?.prefetch) return authentication;
        // The route's reads start while the key is looked up; the dispatch waits for both.
        authentication.catch(ignore);
        request.internal.authentication = authentication;
      },
    });
  }
  handler.use(parseJsonBody(options.binaryContentTypes));
  return handler as unknown as BrookHttpHandler;
}

function ignore(): void {}

function describeResource(resource: Resource): string {
  return resource.type === 'cluster' ? 'the cluster' : `${resource.type} "${resource.name}"`;
}

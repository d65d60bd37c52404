import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { matchRoute, routeKey } from '../../functions/layout/routes.js';

export interface ApiRequest {
  method: string;
  path: string;
  body?: unknown;
  /** Sent as is, not JSON-encoded. */
  rawBody?: string;
  /** Sent base64-encoded, as API Gateway passes binary bodies. */
  binaryBody?: Uint8Array;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  apiKey?: string;
  /** The Lambda's time left when the request arrives (its context's `getRemainingTimeInMillis`). @default 30000 */
  lambdaTimeoutMs?: number;
}

/** An API Gateway HTTP API (payload 2.0) event for `request`, routed as API Gateway would. */
export function apiEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const { match } = matchRoute(request.method, request.path);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...request.headers };
  if (request.apiKey !== undefined) headers.authorization = `Bearer ${request.apiKey}`;
  const rawQueryString = new URLSearchParams(request.query ?? {}).toString();
  const key = match ? routeKey(match.route) : '$default';
  const body =
    request.binaryBody !== undefined
      ? Buffer.from(request.binaryBody).toString('base64')
      : (request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)));
  return {
    version: '2.0',
    routeKey: key,
    rawPath: request.path,
    rawQueryString,
    headers,
    ...(request.query ? { queryStringParameters: request.query } : {}),
    ...(match ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: request.binaryBody !== undefined,
  };
}

export function lambdaContext(timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: 'test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** Calls `handler` with the event for `request` and parses the JSON reply. */
export async function invoke(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers: Record<string, string>; body?: string }>,
  request: ApiRequest,
): Promise<ApiResponse> {
  const response = await handler(apiEvent(request), lambdaContext(request.lambdaTimeoutMs));
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body === undefined ? undefined : JSON.parse(response.body),
  };
}

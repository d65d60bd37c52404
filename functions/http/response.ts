import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** What a route returns; the HTTP layer adds the common headers and serializes. */
export interface HttpResult {
  status: number;
  /** Serialized as JSON; omitted for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function ok(body: unknown, status = 200): HttpResult {
  return { status, body };
}

export function noContent(): HttpResult {
  return { status: 204 };
}

/** Every JSON body ends with a newline, as text answers should (`curl` output then ends its line). */
export function toHttpResponse(result: HttpResult, requestId: string): HttpResponse {
  const headers: Record<string, string> = { 'x-request-id': requestId, ...result.headers };
  if (result.body === undefined) return { statusCode: result.status, headers };
  return {
    statusCode: result.status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: `${JSON.stringify(result.body)}\n`,
  };
}

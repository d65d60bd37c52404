/**
 * Request -> event: what API Gateway's HTTP API hands a Lambda for one
 * request (payload format 2.0), built from a `node:http` request.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { matchRoute, routeKey, type FunctionName } from '../functions/layout/routes.js';

/** The account and API id the local events and contexts name. */
export const ACCOUNT_ID = '000000000000';
const API_ID = 'local';

/** What `buildEvent` needs from a request (an `IncomingMessage` has all of it). */
export interface RawRequest {
  readonly method: string;
  /** The request target as received: `/v1/topics/a%2Fb?x=1`. */
  readonly url: string;
  /** Header names and values, alternating, as received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  /** @default '127.0.0.1' */
  readonly sourceIp?: string;
  /** @default 'HTTP/1.1' */
  readonly protocol?: string;
  /** @default a new id */
  readonly requestId?: string;
  /** @default Date.now() */
  readonly now?: number;
}

export interface BuiltEvent {
  readonly event: APIGatewayProxyEventV2;
  /** The function API Gateway would invoke: the route's, or `fallback` for `$default`. */
  readonly functionName: FunctionName;
}

/** A new API Gateway-style request id. */
export function newRequestId(): string {
  return randomBytes(12).toString('base64url');
}

/** Content types API Gateway passes as text; any other body arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `21/Nov/2025:23:38:00 +0000`, API Gateway's `requestContext.time`. */
function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

export function splitTarget(url: string): { rawPath: string; rawQueryString: string } {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (`http://host/path?q`), as sent to proxies
    try {
      const parsed = new URL(target);
      target = `${parsed.pathname}${parsed.search}`;
    } catch {
      target = `/${target}`;
    }
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const question = target.indexOf('?');
  return question < 0
    ? { rawPath: target, rawQueryString: '' }
    : { rawPath: target.slice(0, question), rawQueryString: target.slice(question + 1) };
}

/**
 * The payload 2.0 event API Gateway would send for `request`: header names
 * lower-cased and repeated headers joined with commas, cookies in `cookies`,
 * repeated query parameters joined with commas, path parameters URL-decoded,
 * the body as text for JSON/text content types and base64 otherwise.
 */
export function buildEvent(request: RawRequest): BuiltEvent {
  const method = request.method.toUpperCase();
  const { rawPath, rawQueryString } = splitTarget(request.url);
  const now = request.now ?? Date.now();
  const requestId = request.requestId ?? newRequestId();

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }

  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }

  const { match } = matchRoute(method, rawPath);
  const key = match ? routeKey(match.route) : '$default';
  const functionName: FunctionName = match ? match.route.function : 'fallback';

  const host = headers['host'] ?? '127.0.0.1';
  const domainName = host.replace(/:\d+$/, '');
  const text = isTextContentType(headers['content-type']);

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method,
        path: rawPath,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now,
    },
    ...(match && Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    ...(request.body.length > 0 ? { body: request.body.toString(text ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: request.body.length > 0 && !text,
  };
  return { event, functionName };
}

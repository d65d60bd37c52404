/**
 * The local API Gateway: a `node:http` server that turns each request into an
 * HTTP API payload 2.0 event, calls the real Lambda handler of the matched
 * route (`functions/handlers/<name>.ts`, the same code the cloud runs), and
 * writes its result back, as API Gateway would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { configToEnv, type BrookConfig } from '../functions/config.js';
import { matchRoute, routeKey, type FunctionName } from '../functions/layout/routes.js';
import { BrookError, type ErrorCode } from '../protocol/errors.js';
import { MAX_REQUEST_BYTES } from '../protocol/limits.js';
import { S3_EMULATOR_CREDENTIALS } from '../functions/storage/s3Client.js';

/** API Gateway's integration timeout for HTTP APIs. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** An oversize body is read and dropped (so the client sees the 413) up to this much more, then the connection is cut. */
const OVERSIZE_DRAIN_BYTES = 64 * 1024 * 1024;
const ACCOUNT_ID = '000000000000';
const API_ID = 'local';

export type LambdaResult = APIGatewayProxyStructuredResultV2 | string | Record<string, unknown> | null | undefined;
export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<LambdaResult> | LambdaResult;
export type HandlerLoader = (name: FunctionName) => Promise<LambdaHandler>;

// ---------------------------------------------------------------------------
// Request -> event
// ---------------------------------------------------------------------------

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

function splitTarget(url: string): { rawPath: string; rawQueryString: string } {
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

// ---------------------------------------------------------------------------
// Lambda side: context, handler loading
// ---------------------------------------------------------------------------

/** A Lambda `Context` for one invocation, with `timeoutMs` to run. */
export function createLambdaContext(functionName: FunctionName, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const name = `brook-local-${functionName}`;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the local server: return a result instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

const HANDLERS_DIR = fileURLToPath(new URL('../functions/handlers/', import.meta.url));

/** The path of a function's Lambda entry. */
export function handlerPath(name: FunctionName): string {
  return `${HANDLERS_DIR}${name}.ts`;
}

/** Handler modules are imported once per process (a warm Lambda), after the environment is set. */
const loadedHandlers = new Map<FunctionName, Promise<LambdaHandler>>();
let handlerEnvironment: string | undefined;

/** Imports `functions/handlers/<name>.ts` once and returns its `handler` export. */
export const importHandler: HandlerLoader = (name) => {
  let loading = loadedHandlers.get(name);
  if (!loading) {
    loading = import(/* @vite-ignore */ handlerPath(name)).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') {
        throw new Error(`${handlerPath(name)} does not export a function named "handler"`);
      }
      return module.handler as LambdaHandler;
    });
    // A failed import is not kept: the file may be fixed while the server runs.
    loading.catch(() => loadedHandlers.delete(name));
    loadedHandlers.set(name, loading);
  }
  return loading;
};

/**
 * Sets what a deployment's Lambda environment would hold: the config
 * variables, and (with an S3 endpoint) the emulator's credentials, so that no
 * SDK client in this process can reach a real AWS account with a developer's
 * own credentials.
 */
export function applyHandlerEnvironment(config: BrookConfig): void {
  const env: Record<string, string> = { ...configToEnv(config) };
  if (config.s3Endpoint) {
    env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  }
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true';
  const signature = JSON.stringify(configToEnv(config));
  if (loadedHandlers.size > 0 && handlerEnvironment !== undefined && handlerEnvironment !== signature) {
    throw new Error(
      'the handlers in this process were already loaded with another configuration ' +
        '(handlers read it once, at cold start): run one local server configuration per process',
    );
  }
  handlerEnvironment = signature;
  Object.assign(process.env, env);
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export interface LocalServerOptions {
  readonly config: BrookConfig;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** How long a handler may run before the request fails with 503 TIMEOUT. @default 30000 */
  readonly timeoutMs?: number;
  /** @default importHandler (the real `functions/handlers/<name>.ts`) */
  readonly loadHandler?: HandlerLoader;
  /** Set `process.env` from `config` before any handler loads. @default true */
  readonly setEnvironment?: boolean;
  /** Where handler failures are reported. @default console.error */
  readonly logError?: (message: string, error?: unknown) => void;
  /** Called once per request when it has been answered (for an access log). */
  readonly onResponse?: (line: { method: string; path: string; status: number; ms: number; requestId: string }) => void;
}

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and closes open connections. */
  close(): Promise<void>;
}

type BodyOutcome = { kind: 'ok'; body: Buffer } | { kind: 'tooLarge'; drained: boolean } | { kind: 'aborted' };

function readBody(req: IncomingMessage, limit: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let size = 0;
    let chunks: Buffer[] = [];
    let settled = false;
    const settle = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!tooLarge && size > limit) {
        tooLarge = true;
        chunks = [];
      }
      if (!tooLarge) {
        chunks.push(chunk);
      } else if (size > limit + OVERSIZE_DRAIN_BYTES) {
        // Enough: answer now and cut the connection rather than read on.
        req.pause();
        settle({ kind: 'tooLarge', drained: false });
      }
    });
    req.on('end', () => settle(tooLarge ? { kind: 'tooLarge', drained: true } : { kind: 'ok', body: Buffer.concat(chunks) }));
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('close', () => settle({ kind: 'aborted' }));
  });
}

function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const error = new BrookError(code, message);
  const body = Buffer.from(`${JSON.stringify(error.toJSON())}\n`, 'utf8');
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-request-id': requestId,
    'apigw-requestid': requestId,
    ...extraHeaders,
  });
  res.end(body);
}

function sendResult(res: ServerResponse, result: LambdaResult, apigwRequestId: string): void {
  if (res.headersSent || res.destroyed) return;
  // API Gateway's rules for payload 2.0: a string or an object without statusCode is a 200 JSON body.
  let structured: APIGatewayProxyStructuredResultV2;
  if (typeof result === 'string') {
    structured = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result };
  } else if (result && typeof result === 'object' && 'statusCode' in result) {
    structured = result as APIGatewayProxyStructuredResultV2;
  } else {
    structured = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  const body =
    structured.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
  res.statusCode = structured.statusCode ?? 200;
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  if (structured.cookies?.length) res.setHeader('set-cookie', structured.cookies);
  res.setHeader('apigw-requestid', apigwRequestId);
  res.setHeader('content-length', String(body.length));
  res.end(body);
}

class TimeoutError extends Error {}

/** Responses made here (not by a handler) still carry x-request-id, as the contract wants: the caller's, or ours. */
function replyRequestId(req: IncomingMessage, requestId: string): string {
  const callerId = req.headers['x-request-id'];
  return typeof callerId === 'string' && callerId !== '' && callerId.length <= 200 ? callerId : requestId;
}

async function invoke(handler: LambdaHandler, event: APIGatewayProxyEventV2, context: Context, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the local API on `host:port`. With the default loader, the handlers
 * are the real ones, imported on first use after `process.env` holds `config`.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { config } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const loadHandler = options.loadHandler ?? importHandler;
  const logError = options.logError ?? ((message, error) => console.error(`[brook-local] ${message}`, error ?? ''));
  if (options.setEnvironment ?? true) applyHandlerEnvironment(config);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const requestId = newRequestId();
    const replyId = replyRequestId(req, requestId);
    const method = (req.method ?? 'GET').toUpperCase();
    res.once('finish', () =>
      options.onResponse?.({ method, path: splitTarget(req.url ?? '/').rawPath, status: res.statusCode, ms: Date.now() - started, requestId }),
    );

    const outcome = await readBody(req, MAX_REQUEST_BYTES);
    if (outcome.kind === 'aborted') return;
    if (outcome.kind === 'tooLarge') {
      sendError(res, 'REQUEST_TOO_LARGE', `the request body exceeds ${MAX_REQUEST_BYTES} bytes`, replyId, {
        ...(outcome.drained ? {} : { connection: 'close' }),
      });
      if (!outcome.drained) res.once('finish', () => req.destroy());
      return;
    }

    const { event, functionName } = buildEvent({
      method,
      url: req.url ?? '/',
      rawHeaders: req.rawHeaders,
      body: outcome.body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      now: started,
    });

    try {
      const handler = await loadHandler(functionName);
      const context = createLambdaContext(functionName, config.region, timeoutMs);
      const result = await invoke(handler, event, context, timeoutMs);
      if (result === undefined || result === null) {
        throw new Error(`the ${functionName} handler returned no response`);
      }
      sendResult(res, result, requestId);
    } catch (error) {
      if (error instanceof TimeoutError) {
        logError(`${functionName} timed out after ${timeoutMs} ms (${method} ${event.rawPath}, request ${requestId})`);
        sendError(res, 'TIMEOUT', `the request did not complete within ${timeoutMs} ms`, replyId);
        return;
      }
      logError(`${functionName} failed (${method} ${event.rawPath}, request ${requestId}):`, error);
      sendError(res, 'INTERNAL', 'internal error', replyId);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logError('local server failure:', error);
      if (!res.headersSent) sendError(res, 'INTERNAL', 'internal error', newRequestId());
      else res.destroy();
    });
  });
  // `Expect: 100-continue` (curl does this for large bodies): refuse an oversize body before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_REQUEST_BYTES) {
      sendError(res, 'REQUEST_TOO_LARGE', `the request body exceeds ${MAX_REQUEST_BYTES} bytes`, replyRequestId(req, newRequestId()), {
        connection: 'close',
      });
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

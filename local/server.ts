/**
 * The local API Gateway: a `node:http` server that turns each request into an
 * HTTP API payload 2.0 event, calls the real Lambda handler of the matched
 * route (`functions/handlers/<name>.ts`, the same code the cloud runs), and
 * writes its result back, as API Gateway would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { BrookConfig } from '../functions/config.js';
import { newStorageTrace, traceStorage } from '../functions/storage/requestMeter.js';
import { BrookError, type ErrorCode } from '../protocol/errors.js';
import { MAX_REQUEST_BYTES } from '../protocol/limits.js';
import { buildEvent, newRequestId, splitTarget } from './apiGatewayEvent.js';
import { DEFAULT_CONSOLE_DIR, isConsolePath, serveConsole } from './console.js';
import { applyHandlerEnvironment, createLambdaContext, importHandler, type HandlerLoader, type LambdaHandler, type LambdaResult } from './lambdaRuntime.js';

export { buildEvent, isTextContentType, newRequestId, type BuiltEvent, type RawRequest } from './apiGatewayEvent.js';
export {
  applyHandlerEnvironment,
  createLambdaContext,
  handlerPath,
  importHandler,
  type HandlerLoader,
  type LambdaHandler,
  type LambdaResult,
} from './lambdaRuntime.js';

/** API Gateway's integration timeout for HTTP APIs. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** An oversize body is read and dropped (so the client sees the 413) up to this much more, then the connection is cut. */
const OVERSIZE_DRAIN_BYTES = 64 * 1024 * 1024;

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
  readonly onResponse?: (line: ResponseLine) => void;
  /** Where the built Brook Console is, served at `/console`. @default dist/console */
  readonly consoleDir?: string;
}

/** What the server says of each answered request. */
export interface ResponseLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  requestId: string;
  /** The storage calls the request made, and how many ran in sequence (round trips). */
  storage: { calls: number; rounds: number };
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
    const trace = newStorageTrace();
    res.once('finish', () =>
      options.onResponse?.({
        method,
        path: splitTarget(req.url ?? '/').rawPath,
        status: res.statusCode,
        ms: Date.now() - started,
        requestId,
        storage: { calls: trace.calls, rounds: trace.rounds },
      }),
    );
    await traceStorage(trace, () => serve(req, res, { started, requestId, replyId, method }));
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    { started, requestId, replyId, method }: { started: number; requestId: string; replyId: string; method: string },
  ) => {

    // The Brook Console: static files, not an API route.
    const { rawPath } = splitTarget(req.url ?? '/');
    if (isConsolePath(rawPath)) {
      req.resume();
      await serveConsole(req, res, rawPath, options.consoleDir ?? DEFAULT_CONSOLE_DIR);
      return;
    }

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

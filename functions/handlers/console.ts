/**
 * `GET /console` and `GET /console/{proxy+}`: the Brook Console's built files
 * (`dist/console`, copied into this function's bundle as `console/` by
 * infra/constructs/BrookEventLog.ts), with the console's CSP. No key and no
 * storage: the console holds no data, it calls the API like any client, and
 * being served by the same HTTP API it is same-origin with it (`'self'`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONSOLE_HEADERS, consoleContentType, consoleRelativePath } from '../layout/console.js';

/** Where the bundle carries the console: `console/` next to the handler's `index.mjs`. */
export const BUNDLED_CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

interface ConsoleFile {
  readonly body: string;
  readonly base64: boolean;
  readonly contentType: string;
  readonly etag: string;
}

type Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

function text(statusCode: number, body: string, extra: Record<string, string> = {}): Result {
  return { statusCode, headers: { ...CONSOLE_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra }, body };
}

/** A handler serving the files of `dir`, each read once and kept for the life of the instance. */
export function createConsoleHandler(dir: string): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const files = new Map<string, ConsoleFile | null>();
  const load = (relative: string): ConsoleFile | null => {
    let file = files.get(relative);
    if (file === undefined) {
      try {
        const bytes = readFileSync(join(dir, relative));
        const contentType = consoleContentType(relative);
        const base64 = !/^(text\/|application\/json|image\/svg)/.test(contentType);
        file = {
          body: bytes.toString(base64 ? 'base64' : 'utf8'),
          base64,
          contentType,
          etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
        };
      } catch {
        file = null;
      }
      files.set(relative, file);
    }
    return file;
  };

  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'the console takes GET only\n', { allow: 'GET, HEAD' });
    const relative = consoleRelativePath(event.rawPath);
    const file = relative === undefined ? null : load(relative);
    if (!file) return text(404, 'not found\n');
    const headers = { ...CONSOLE_HEADERS, 'content-type': file.contentType, etag: file.etag };
    const ifNoneMatch = event.headers?.['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === file.etag)) {
      return { statusCode: 304, headers, body: '' };
    }
    return { statusCode: 200, headers, body: method === 'HEAD' ? '' : file.body, isBase64Encoded: file.base64 && method !== 'HEAD' };
  };
}

export const handler = createConsoleHandler(BUNDLED_CONSOLE_DIR);

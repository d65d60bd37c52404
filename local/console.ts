/**
 * The Brook Console's files for the local server: GET (or HEAD) `/console`
 * and `/console/...` answered from the built `dist/console/` (`npm run build`),
 * with a Content-Security-Policy that lets the page load and call only its
 * own origin. The console itself speaks to the API like any other client.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../dist/console', import.meta.url));

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Whether a request path (no query) belongs to the console. */
export function isConsolePath(rawPath: string): boolean {
  return rawPath === '/console' || rawPath.startsWith('/console/');
}

function send(res: ServerResponse, status: number, contentType: string, body: Buffer | string, head: boolean, extra: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(bytes.length),
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    ...extra,
  });
  res.end(head ? undefined : bytes);
}

/**
 * The file of `dir` a console path names (`/console` and `/console/` are
 * `index.html`), or undefined when the path is malformed or leaves `dir`.
 */
export function consoleFile(dir: string, rawPath: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(rawPath.slice('/console'.length).replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  if (relative === '') relative = 'index.html';
  if (relative.includes('\0') || relative.includes('\\') || relative.split('/').some((part) => part === '..' || part === '.')) return undefined;
  const root = resolve(dir);
  const file = resolve(root, relative);
  return file.startsWith(root + sep) ? file : undefined;
}

/** Answers a console request (the caller has checked `isConsolePath`). */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, rawPath: string, dir = DEFAULT_CONSOLE_DIR): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const head = method === 'HEAD';
  if (method !== 'GET' && !head) {
    send(res, 405, 'text/plain; charset=utf-8', 'the console takes GET only\n', false, { allow: 'GET, HEAD' });
    return;
  }
  const file = consoleFile(dir, rawPath);
  if (file === undefined) {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    return;
  }
  let index: Buffer | undefined;
  try {
    index = await readFile(join(dir, 'index.html'));
  } catch {
    send(res, 503, 'text/plain; charset=utf-8', 'the console is not built: run `npm run build` (it writes dist/console), then reload\n', head);
    return;
  }
  try {
    const body = file === resolve(dir, 'index.html') ? index : await readFile(file);
    send(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body, head);
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  }
}

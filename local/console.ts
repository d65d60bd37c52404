/**
 * The Brook Console's files for the local server: GET (or HEAD) `/console`
 * and `/console/...` answered from the built `dist/console/` (`npm run build`),
 * with a Content-Security-Policy that lets the page load and call only its
 * own origin. The console itself speaks to the API like any other client.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_HEADERS, consoleContentType, consoleRelativePath } from '../functions/layout/console.js';

/** Where `npm run build` puts the console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../dist/console', import.meta.url));

export { CONSOLE_CSP, isConsolePath } from '../functions/layout/console.js';

function send(res: ServerResponse, status: number, contentType: string, body: Buffer | string, head: boolean, extra: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(bytes.length),
    ...CONSOLE_HEADERS,
    ...extra,
  });
  res.end(head ? undefined : bytes);
}

/**
 * The file of `dir` a console path names (`/console` and `/console/` are
 * `index.html`), or undefined when the path is malformed or leaves `dir`.
 */
export function consoleFile(dir: string, rawPath: string): string | undefined {
  const relative = consoleRelativePath(rawPath);
  if (relative === undefined) return undefined;
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
    send(res, 200, consoleContentType(file), body, head);
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  }
}

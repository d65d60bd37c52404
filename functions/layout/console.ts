/**
 * The Brook Console's files as served to a browser, as plain data shared by
 * the `console` Lambda function (functions/handlers/console.ts) and the
 * local server (local/console.ts): the CSP, the headers, the content types
 * and which paths name which files. No runtime imports: the CDK app and the
 * browser-free tests read it too.
 */

/**
 * The page may load scripts, styles and images only from its own origin and
 * call only its own origin: the stage's API, since the console is served by
 * the same HTTP API.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** Content types by file extension; anything else is `application/octet-stream`. */
export const CONSOLE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The content type of a file name by its extension. */
export function consoleContentType(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot >= 0 && CONSOLE_CONTENT_TYPES[file.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

/**
 * Headers of every console answer: the CSP, no sniffing, no referrer, and
 * `no-cache` (the built names are not content-hashed, so a browser revalidates
 * with the ETag instead of keeping a stale `app.js`).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Whether a request path (no query) belongs to the console. */
export function isConsolePath(rawPath: string): boolean {
  return rawPath === '/console' || rawPath.startsWith('/console/');
}

/**
 * The file a console path names, relative to the built console directory
 * (`/console` and `/console/` are `index.html`), or undefined when the path
 * is not the console's, is malformed, or would leave the directory.
 */
export function consoleRelativePath(rawPath: string): string | undefined {
  if (!isConsolePath(rawPath)) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(rawPath.slice('/console'.length).replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  if (relative === '') return 'index.html';
  const parts = relative.split('/');
  if (relative.includes('\0') || relative.includes('\\') || parts.some((part) => part === '' || part === '..' || part === '.')) return undefined;
  return relative;
}

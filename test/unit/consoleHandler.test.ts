import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createConsoleHandler } from '../../functions/handlers/console.js';
import { CONSOLE_CSP, consoleRelativePath } from '../../functions/layout/console.js';
import { matchRoute } from '../../functions/layout/routes.js';

/** A built console of three files, as `npm run build` writes it. */
function builtConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brook-console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./app.js"></script>');
  writeFileSync(join(dir, 'app.js'), 'console.log("brook");');
  writeFileSync(join(dir, 'app.css'), 'body{margin:0}');
  return dir;
}

function event(rawPath: string, method = 'GET', headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return { rawPath, headers, requestContext: { http: { method } } } as unknown as APIGatewayProxyEventV2;
}

describe('console handler (functions/handlers/console.ts)', () => {
  const handler = createConsoleHandler(builtConsole());

  it.each(['/console', '/console/', '/console/index.html'])('answers %s with index.html, the CSP, nosniff and no-cache', async (path) => {
    const response = await handler(event(path));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<!doctype html>');
    expect(response.isBase64Encoded).toBe(false);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
  });

  it('uses the same CSP as the brief: self only, no framing', () => {
    expect(CONSOLE_CSP).toContain("default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  });

  it('answers app.js and app.css with their content types and the CSP', async () => {
    const js = await handler(event('/console/app.js'));
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe('console.log("brook");');
    expect(js.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff' });
    const css = await handler(event('/console/app.css'));
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await handler(event('/console/app.js'));
    const again = await handler(event('/console/app.js', 'GET', { 'if-none-match': first.headers.etag! }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it.each(['/console/nope.js', '/console/../package.json', '/console/%2e%2e/package.json', '/console/a//b', '/console/%E0%A4%A', '/consolex', '/v1/topics'])(
    'answers 404 to %s, with the CSP still set',
    async (path) => {
      const response = await handler(event(path));
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
    },
  );

  it('answers 405 to anything but GET and HEAD', async () => {
    const response = await handler(event('/console/app.js', 'POST'));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('maps console paths to files and nothing outside', () => {
    expect(consoleRelativePath('/console')).toBe('index.html');
    expect(consoleRelativePath('/console/assets/x.svg')).toBe('assets/x.svg');
    expect(consoleRelativePath('/console/..')).toBeUndefined();
  });

  it('is reached through ROUTES: /console and everything under it, GET only', () => {
    expect(matchRoute('GET', '/console').match?.route.function).toBe('console');
    expect(matchRoute('GET', '/console/app.js').match?.route.function).toBe('console');
    expect(matchRoute('GET', '/console/a/b.js').match?.pathParameters).toEqual({ proxy: 'a/b.js' });
    const post = matchRoute('POST', '/console/app.js');
    expect(post.match).toBeUndefined();
    expect(post.allowedMethods).toEqual(['GET']);
  });
});

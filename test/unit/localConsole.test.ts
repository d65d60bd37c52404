/**
 * The local server's `/console`: the built files with their content types,
 * a CSP of 'self' only and nosniff, 404 for unknown files and for paths
 * that leave the folder, and 503 saying to build when nothing is built.
 */
import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { CONSOLE_CSP, consoleFile } from '../../local/console.js';
import { startLocalServer, type LambdaHandler, type LocalServer } from '../../local/server.js';

const CONFIG: BrookConfig = {
  tables: { log: 'l', topics: 't', groups: 'g', keys: 'k', subscriptions: 's' },
  bucket: 'b',
  region: 'us-east-1',
  keyCacheTtlMs: 0,
  inlineBatchMaxBytes: 16_384,
  compactMinAgeMs: 300_000,
  subscriptionBackoffMs: 1_000,
  allowPrivateTargets: true,
};

/** A raw GET, so that `..` in the path reaches the server as written (fetch would normalize it). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Function: startLocalServer, the console', () => {
  let dir: string;
  let server: LocalServer | undefined;
  const health = vi.fn<LambdaHandler>(() => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brook-console-'));
    await writeFile(join(dir, 'outside.txt'), 'secret');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (consoleDir: string) => {
    server = await startLocalServer({
      config: CONFIG,
      setEnvironment: false,
      logError: vi.fn(),
      consoleDir,
      loadHandler: async (name) => {
        if (name === 'health') return health;
        throw new Error(`no fake handler for ${name}`);
      },
    });
    return server.url;
  };

  const built = async () => {
    const consoleDir = join(dir, 'console');
    await mkdir(consoleDir);
    await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>Brook Console</title>');
    await writeFile(join(consoleDir, 'app.js'), 'console.log(1)');
    await writeFile(join(consoleDir, 'app.css'), 'body{}');
    return consoleDir;
  };

  it('serves index.html at /console and /console/, and the assets, with their content types and security headers', async () => {
    const url = await start(await built());

    for (const [path, type, text] of [
      ['/console', 'text/html; charset=utf-8', '<title>Brook Console</title>'],
      ['/console/', 'text/html; charset=utf-8', '<title>Brook Console</title>'],
      ['/console/index.html', 'text/html; charset=utf-8', '<title>Brook Console</title>'],
      ['/console/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
      ['/console/app.css', 'text/css; charset=utf-8', 'body{}'],
    ] as const) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(await response.text(), path).toContain(text);
    }
    expect(health).not.toHaveBeenCalled();
  });

  it('allows only its own origin in the CSP, and no framing', () => {
    const directives = Object.fromEntries(CONSOLE_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
    expect(directives).toMatchObject({
      'script-src': "'self'",
      'connect-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'frame-ancestors': "'none'",
    });
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it('answers 404 for unknown files and refuses paths that leave the folder', async () => {
    const url = await start(await built());

    expect((await fetch(`${url}/console/nothing.js`)).status).toBe(404);
    for (const path of ['/console/../outside.txt', '/console/%2e%2e/outside.txt', '/console/..%2foutside.txt', '/console/%2e%2e%5coutside.txt', '/console/%00']) {
      const response = await rawGet(url, path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('secret');
    }
    expect(consoleFile('/srv/console', '/console/a/../../x')).toBeUndefined();
    expect(consoleFile('/srv/console', '/console/')).toBe('/srv/console/index.html');
  });

  it('takes GET and HEAD only', async () => {
    const url = await start(await built());

    const head = await fetch(`${url}/console/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('console.log(1)'.length));
    const post = await fetch(`${url}/console/app.js`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 telling to run npm run build when the console is not built', async () => {
    const url = await start(join(dir, 'missing'));

    const response = await fetch(`${url}/console`);

    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build');
  });

  it('leaves the API and other paths to the handlers', async () => {
    const url = await start(await built());

    expect((await fetch(`${url}/v1/health`)).status).toBe(200);
    expect(health).toHaveBeenCalledTimes(1);
    expect((await rawGet(url, '/consoles')).status).not.toBe(200);
  });
});

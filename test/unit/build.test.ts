/**
 * `npm install` (prepare) links the CLI where `npx brook` finds it without
 * installing the package into npx's cache first, and builds the Brook
 * Console within its size budget.
 */
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_FILES, linkOwnBin } from '../../scripts/build.js';

/** The console's JavaScript, gzipped, may not exceed this. */
const CONSOLE_JS_BUDGET_GZIP_BYTES = 150 * 1024;

describe('Function: buildConsole', () => {
  it('writes index.html, a minified browser ES module app.js within 150 KB gzipped, and app.css', async () => {
    const out = await mkdtemp(join(tmpdir(), 'brook-console-build-'));
    try {
      await buildConsole(out);

      expect((await readdir(out)).sort()).toEqual([...CONSOLE_FILES].sort());
      const html = await readFile(join(out, 'index.html'), 'utf8');
      expect(html).toContain('<script type="module" src="/console/app.js"></script>');
      expect(html).toContain('<link rel="stylesheet" href="/console/app.css" />');
      expect(html).not.toMatch(/<script>|<style|style=|https?:\/\//); // nothing inline, nothing from elsewhere (the CSP allows neither)
      const js = await readFile(join(out, 'app.js'));
      expect(js.toString('utf8')).not.toMatch(/\bfrom\s*["'](?!\.)|\brequire\(|node:/); // one self-contained bundle for browsers
      expect(js.toString('utf8').split('\n').length).toBeLessThan(5); // minified
      const gzipped = gzipSync(js, { level: 9 }).length;
      console.log(`console app.js: ${js.length} bytes, ${gzipped} bytes gzipped`);
      expect(gzipped).toBeLessThanOrEqual(CONSOLE_JS_BUDGET_GZIP_BYTES);
      expect((await readFile(join(out, 'app.css'), 'utf8')).length).toBeGreaterThan(100);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Function: linkOwnBin', () => {
  it('links node_modules/.bin/brook to dist/cli.js, replacing a link that is there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'brook-bin-'));
    try {
      await linkOwnBin(root);
      await linkOwnBin(root); // again: npm install runs prepare every time

      expect(await readlink(join(root, 'node_modules', '.bin', 'brook'))).toBe(join('..', '..', 'dist', 'cli.js'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the package declares no bin of its own (npx would install the package into its cache before running it)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin?: unknown; scripts: Record<string, string> };
    expect(manifest.bin).toBeUndefined();
    expect(manifest.scripts.prepare).toBe('npm run build');
  });
});

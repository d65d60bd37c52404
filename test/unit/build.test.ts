/**
 * `npm install` (prepare) links the CLI where `npx brook` finds it without
 * installing the package into npx's cache first.
 */
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkOwnBin } from '../../scripts/build.js';

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

/**
 * The SDK's API reference (`npm run docs:api`, typedoc) is generated from the
 * code: it must build with no warnings, so every type a public signature
 * uses is exported and every link resolves.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('SDK API reference', () => {
  it('builds from sdk/index.ts with no warnings (typedoc, treatWarningsAsErrors)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none'], {
      cwd: process.cwd(),
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(stdout).not.toMatch(/warning|error/i);
  }, 180_000);
});

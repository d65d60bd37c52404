/**
 * ESLint over the whole tree (the rules are in eslint.config.js), so that a
 * lint error makes `npm test` red. `npm run lint` runs the same check alone
 * (keep its list of folders and TARGETS below the same).
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The repository root, without a trailing slash (so `npm run lint` and this test share one cache file). */
const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** What `npm run lint` checks: the code's folders and the root config files (not a scratch file at the root). */
const TARGETS = ['functions', 'protocol', 'sdk', 'cli', 'console', 'local', 'infra', 'bench', 'scripts', 'test', 'vitest.config.ts', 'eslint.config.js'];

describe('lint', () => {
  it('finds no ESLint error or warning in the code', async () => {
    // Act
    // The cache (keyed on file contents, config and versions) makes a repeat run take a second or two.
    const eslint = new ESLint({ cwd: ROOT, cache: true, cacheLocation: 'node_modules/.cache/eslint/', cacheStrategy: 'content' });
    const results = await eslint.lintFiles(TARGETS);

    // Assess
    const messages = results.flatMap((result) =>
      result.messages.map((m) => `${relative(ROOT, result.filePath)}:${m.line}:${m.column} ${m.ruleId ?? 'parse'}: ${m.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(messages).toEqual([]);
  }, 120_000);
});

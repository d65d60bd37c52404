// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Lint rules for the whole tree (`npm run lint`; test/unit/lint.test.ts runs the
 * same lint inside `npm test`). The recommended sets without type information:
 * the type-aware ones take several times as long and would slow every test run.
 */
export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'docs/api/', 'cdk.out/', '.brook/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a value left out on purpose (`{ pk: _pk, ...rest }`, a mock's unused parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read synthesized CloudFormation and parsed JSON replies, untyped by nature.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);

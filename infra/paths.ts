import { fileURLToPath } from 'node:url';

/**
 * Paths the stack needs at synth time. The project is ESM, so they are
 * resolved from this file's URL rather than `__dirname`, and do not depend on
 * the working directory the CLI or the tests run in.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The lock file esbuild bundling resolves dependency versions from. */
export const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/** The entry of a Lambda handler: `functions/handlers/<name>.ts`, exporting `handler`. */
export function handlerEntry(name: string): string {
  return fileURLToPath(new URL(`../functions/handlers/${name}.ts`, import.meta.url));
}

/** What the Lambda bundles use instead of the SDK's default credential chain (see `BUNDLING_DEFAULTS`). */
export const LAMBDA_CREDENTIALS_ENTRY = fileURLToPath(new URL('../functions/storage/lambdaCredentials.ts', import.meta.url));

/** Where `npm run build` puts the Brook Console, which the `console` function's bundle carries. */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../dist/console', import.meta.url));

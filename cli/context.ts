/**
 * Where the CLI connects, from the global options: `--url` / `BROOK_URL`
 * (default: the local stack of `npm start`, `http://127.0.0.1:<BROOK_PORT or 8080>`)
 * and `--api-key` / `BROOK_API_KEY`; pointed at the local stack without a
 * key, the admin key `npm start` saved (`<BROOK_DATA_DIR or .brook>/admin-key`,
 * looked for in the current folder and its parents) is used.
 */
import { Brook } from '../sdk/index.js';
import { defaultUrl, findLocalAdminKey, isLocalUrl, readKeyFile } from '../sdk/localStack.js';
import { UsageError } from './errors.js';

export { adminKeyFiles, defaultUrl } from '../sdk/localStack.js';

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export interface Connection {
  url: string;
  apiKey: string;
  /** Where the key came from (for messages; never the key itself). */
  keySource: 'option' | 'file';
  keyFile?: string;
}

export function resolveConnection(
  options: GlobalOptions,
  { env = process.env, cwd = process.cwd(), read = readKeyFile }: { env?: NodeJS.ProcessEnv; cwd?: string; read?: (file: string) => string | undefined } = {},
): Connection {
  const url = options.url || defaultUrl(env);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--url must be an http(s) url such as http://127.0.0.1:8080, got "${url}"`);
  }
  if (options.apiKey) return { url, apiKey: options.apiKey, keySource: 'option' };
  const saved = findLocalAdminKey(url, { env, cwd, read });
  if (saved) return { url, apiKey: saved.apiKey, keySource: 'file', keyFile: saved.file };
  throw new UsageError(
    isLocalUrl(url)
      ? 'no API key: pass --api-key or set BROOK_API_KEY (or start the local stack with `npm start`, which saves one to .brook/admin-key)'
      : 'no API key: pass --api-key or set BROOK_API_KEY',
  );
}

/** Retries of a command-line call: a few, quickly, so a stack that is down fails within seconds. */
export const CLI_RETRY = { maxRetries: 3, initialMs: 100, maxMs: 2_000 };

export function connect(options: GlobalOptions): Brook {
  const { url, apiKey } = resolveConnection(options);
  return new Brook({ url, apiKey, retry: CLI_RETRY });
}

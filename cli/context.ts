/**
 * Where the CLI connects, from the global options: `--url` / `BROOK_URL`
 * (default: the local stack of `npm start`, `http://127.0.0.1:<BROOK_PORT or 8080>`)
 * and `--api-key` / `BROOK_API_KEY`; pointed at the local stack without a
 * key, the admin key `npm start` saved (`<BROOK_DATA_DIR or .brook>/admin-key`,
 * looked for in the current folder and its parents) is used.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Brook } from '../sdk/index.js';
import { UsageError } from './errors.js';

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

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The local stack's default url: what `npm start` serves. */
export function defaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${env.BROOK_PORT || '8080'}`;
}

export function isLocalUrl(url: string): boolean {
  try {
    return LOCAL_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Candidate admin-key files, nearest first: `$BROOK_DATA_DIR/admin-key`, else `.brook/admin-key` here and in each parent. */
export function adminKeyFiles(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dataDir = env.BROOK_DATA_DIR;
  if (dataDir) return [join(isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir), 'admin-key')];
  const files: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    files.push(join(dir, '.brook', 'admin-key'));
    if (dirname(dir) === dir) return files;
  }
}

function readKey(file: string): string | undefined {
  try {
    const key = readFileSync(file, 'utf8').trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

export function resolveConnection(
  options: GlobalOptions,
  { env = process.env, cwd = process.cwd(), read = readKey }: { env?: NodeJS.ProcessEnv; cwd?: string; read?: (file: string) => string | undefined } = {},
): Connection {
  const url = options.url || defaultUrl(env);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--url must be an http(s) url such as http://127.0.0.1:8080, got "${url}"`);
  }
  if (options.apiKey) return { url, apiKey: options.apiKey, keySource: 'option' };
  if (isLocalUrl(url)) {
    for (const file of adminKeyFiles(cwd, env)) {
      const key = read(file);
      if (key !== undefined) return { url, apiKey: key, keySource: 'file', keyFile: file };
    }
  }
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

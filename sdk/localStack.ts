/**
 * Finding the local stack (`npm start`) without configuration: its default
 * url, and the admin key it saves to `<BROOK_DATA_DIR or .brook>/admin-key`.
 * The SDK and the CLI both fall back to these when no url or key is given.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The local stack's default url: `http://127.0.0.1:<BROOK_PORT or 8080>`. */
export function defaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${env.BROOK_PORT || '8080'}`;
}

/** True for a url on this machine (where a saved local admin key may be used). */
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

/** The contents of a key file, or undefined if it is missing or empty. */
export function readKeyFile(file: string): string | undefined {
  try {
    const key = readFileSync(file, 'utf8').trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

export interface SavedKey {
  readonly apiKey: string;
  readonly file: string;
}

/** The admin key the local stack saved, for a local `url` only (a remote stack never gets a local key). */
export function findLocalAdminKey(
  url: string,
  { env = process.env, cwd = process.cwd(), read = readKeyFile }: { env?: NodeJS.ProcessEnv; cwd?: string; read?: (file: string) => string | undefined } = {},
): SavedKey | undefined {
  if (!isLocalUrl(url)) return undefined;
  for (const file of adminKeyFiles(cwd, env)) {
    const apiKey = read(file);
    if (apiKey !== undefined) return { apiKey, file };
  }
  return undefined;
}

/**
 * s3rver, in this process, with the workarounds it needs on Node 20
 * (explained where they are applied).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import * as crypto from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { RunningEmulator } from './emulator.js';

export interface S3EmulatorOptions {
  /** Where s3rver keeps buckets and objects. */
  readonly directory: string;
  /** @default a free port */
  readonly port?: number;
}

/**
 * Credentials for DynamoDB Local. With `-sharedDb` any will do, except that
 * DynamoDB Local 2+ refuses an access key id that is not letters and digits
 * only (`UnrecognizedClientException`): no hyphens.
 */

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

let s3rverClass: S3rverClass | undefined;

/**
 * Loads s3rver with two workarounds applied:
 * - its filesystem store's `deleteObject` tolerates the ENOENT (and ENOTEMPTY)
 *   races of its empty-folder clean-up, so `DeleteObjects` does not fail with 500;
 * - its `ListObjectsV2` continuation token uses DES, which Node 20's OpenSSL 3
 *   only has with `--openssl-legacy-provider`. Unless DES works in this process,
 *   the bucket controller gets a `crypto` whose 'des' is AES-128-CBC. The token
 *   is opaque to clients, so nothing else changes, and no NODE_OPTIONS are needed.
 */
function loadS3rver(): S3rverClass {
  if (s3rverClass) return s3rverClass;
  const require = createRequire(import.meta.url);
  const bucketControllerPath = require.resolve('s3rver/lib/controllers/bucket.js');
  const moduleInternals = Module as unknown as {
    _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
  };
  const originalLoad = moduleInternals._load;
  const patchCrypto = !desAvailable() && require.cache[bucketControllerPath] === undefined;
  if (patchCrypto) {
    moduleInternals._load = function load(this: unknown, request, parent, isMain) {
      const loaded = originalLoad.call(this, request, parent, isMain);
      if ((request === 'crypto' || request === 'node:crypto') && parent?.filename === bucketControllerPath) {
        return cryptoWithDesFallback();
      }
      return loaded;
    };
  }
  try {
    s3rverClass = require('s3rver') as S3rverClass;
  } finally {
    if (patchCrypto) moduleInternals._load = originalLoad;
  }
  patchFilesystemStore(require('s3rver/lib/stores/filesystem.js') as FilesystemStoreClass);
  return s3rverClass;
}

function desAvailable(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

function cryptoWithDesFallback(): typeof crypto {
  const widen = (key: crypto.BinaryLike, iv: crypto.BinaryLike | null) => ({
    key: createHash('sha256').update(key as Buffer).digest().subarray(0, 16),
    iv: iv === null ? null : Buffer.concat([Buffer.from(iv as Buffer), Buffer.from(iv as Buffer)]).subarray(0, 16),
  });
  return Object.create(crypto, {
    createCipheriv: {
      value: (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) => {
        if (algorithm !== 'des') return createCipheriv(algorithm, key, iv);
        const wide = widen(key as Buffer, iv);
        return createCipheriv('aes-128-cbc', wide.key, wide.iv);
      },
    },
    createDecipheriv: {
      value: (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) => {
        if (algorithm !== 'des') return createDecipheriv(algorithm, key, iv);
        const wide = widen(key as Buffer, iv);
        return createDecipheriv('aes-128-cbc', wide.key, wide.iv);
      },
    },
  }) as typeof crypto;
}

interface FilesystemStoreClass {
  prototype: { deleteObject(bucket: string, key: string): Promise<void> };
}

const PATCHED = Symbol.for('brook.s3rver.deleteObjectPatched');

function patchFilesystemStore(store: FilesystemStoreClass): void {
  const proto = store.prototype as FilesystemStoreClass['prototype'] & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.deleteObject;
  proto.deleteObject = async function deleteObject(this: unknown, bucket: string, key: string) {
    try {
      await original.call(this, bucket, key);
    } catch (error) {
      // The object's files are unlinked before the folder clean-up that races.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw error;
    }
  };
  proto[PATCHED] = true;
}

/** Starts s3rver in this process on 127.0.0.1, keeping its data in `options.directory`. */
export async function startS3Emulator(options: S3EmulatorOptions): Promise<RunningEmulator> {
  const S3rver = loadS3rver();
  const directory = resolve(options.directory);
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    vhostBuckets: false,
    resetOnClose: false,
  });
  const address = await server.run();
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      (stopping ??= (async () => {
        const closed = server.close();
        // Idle keep-alive sockets of SDK clients would otherwise hold the close open.
        server.httpServer?.closeAllConnections?.();
        await closed;
      })()),
  };
}

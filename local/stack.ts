/**
 * The local stack: DynamoDB Local and s3rver keeping their data under one
 * folder, the tables and bucket a deployment would have, an admin key, and
 * the local API server in front of the real handlers. `npm start` runs it
 * (`local/start.ts`); tests and scripts can start it with `startLocalStack`.
 */
import { newSecretKeyPair } from '../functions/subscriptions/secretSealer.js';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { newSecret } from '../functions/auth/secrets.js';
import type { BrookConfig } from '../functions/config.js';
import { apiKeyStore, brookWiring } from '../functions/wiring.js';
import { startLocalDispatch } from './dispatch.js';
import { startDynamoDbLocal, startS3Emulator, type RunningEmulator } from './emulators.js';
import { applyHandlerEnvironment, startLocalServer, type LocalServerOptions } from './server.js';
import { ensureBucket, ensureTables, localConfig } from './setup.js';

/** Laptop defaults: tiering shows within seconds. */
export const LOCAL_COMPACT_INTERVAL_MS = 5_000;
export const LOCAL_COMPACT_MIN_AGE_MS = 30_000;

/** Runs the compactor handler every `intervalMs`, one run at a time; stop() waits for a run under way. */
function startCompactorTimer(intervalMs: number): RunningEmulator {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      const { handler } = await import('../functions/handlers/compactor.js');
      await handler();
    }).catch((error: unknown) => console.error('compactor run failed:', error instanceof Error ? error.message : error));
  }, intervalMs);
  timer.unref();
  return {
    endpoint: 'compactor',
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Physical names of the local stack: tables `brook-local-log`, ..., bucket `brook-local-segments`. */
export const LOCAL_PREFIX = 'brook-local';

export interface LocalStackOptions {
  /** Port of the API on `host`; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where DynamoDB Local (`dynamodb/`), s3rver (`s3/`) and the admin key (`admin-key`) live. @default '.brook' */
  readonly dataDir?: string;
  /**
   * Registered as an admin key (not written to disk). Without it, the key in
   * `<dataDir>/admin-key` is reused, or a new one is generated and saved there.
   */
  readonly apiKey?: string;
  /** Called with each answered request (an access log). */
  readonly onResponse?: LocalServerOptions['onResponse'];
  /** Where the built Brook Console is, served at `/console`. @default dist/console */
  readonly consoleDir?: string;
  /** Batches over this many bytes go to S3 (`BROOK_INLINE_BATCH_MAX_BYTES`). @default 16384 */
  readonly inlineBatchMaxBytes?: number;
  /** How often the compactor runs, as the cloud schedule would (`BROOK_COMPACT_INTERVAL_MS`); 0 turns it off. @default 5000 */
  readonly compactIntervalMs?: number;
  /** Batches younger than this stay in DynamoDB (`BROOK_COMPACT_MIN_AGE_MS`). @default 30000 */
  readonly compactMinAgeMs?: number;
  /** How long handlers trust a looked-up key (`BROOK_KEY_CACHE_TTL_MS`); 0 reads it every request, as in AWS. @default 5000 */
  readonly keyCacheTtlMs?: number;
  /**
   * A DynamoDB endpoint already running (`BROOK_DYNAMODB_ENDPOINT`): a shared
   * DynamoDB Local, a proxy in front of one. No DynamoDB Local is started;
   * the tables are created there if missing. @default a DynamoDB Local of its own
   */
  readonly dynamoDbEndpoint?: string;
  /** An S3 endpoint already running (`BROOK_S3_ENDPOINT`); no s3rver is started; the bucket is created if missing. @default an s3rver of its own */
  readonly s3Endpoint?: string;
  /** First retry delay of failing subscription batches (`BROOK_SUBSCRIPTION_BACKOFF_MS`). @default 1000 */
  readonly subscriptionBackoffMs?: number;
  /**
   * Lambda targets of subscriptions, run in this process (`BROOK_LOCAL_LAMBDAS`):
   * function ARN to `<module path>#<export>`, the path relative to the working directory.
   */
  readonly localLambdas?: Readonly<Record<string, string>>;
  /** How often subscriptions are swept for due deliveries; 0 turns the sweep off (appends still deliver). @default 10000 */
  readonly subscriptionSweepIntervalMs?: number;
  /**
   * Called once if a part of the stack ends on its own (DynamoDB Local killed
   * or crashed): the stack can no longer serve, and should be stopped.
   */
  readonly onFailure?: (reason: string) => void;
}

export interface LocalStack {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The admin key's secret. */
  readonly adminKey: string;
  /** Where the key came from: `BROOK_API_KEY`/`apiKey`, the saved file, or generated (and saved) now. */
  readonly adminKeySource: 'option' | 'file' | 'generated';
  /** `<dataDir>/admin-key` (holds the key unless it came from `apiKey`). */
  readonly adminKeyFile: string;
  /** Absolute path of the data folder. */
  readonly dataDir: string;
  readonly config: BrookConfig;
  /** Stops the API server and both emulators (Java included). Safe to call more than once. */
  stop(): Promise<void>;
}

async function resolveAdminKey(
  apiKey: string | undefined,
  file: string,
): Promise<{ secret: string; source: LocalStack['adminKeySource'] }> {
  if (apiKey !== undefined && apiKey !== '') return { secret: apiKey, source: 'option' };
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (saved !== '') return { secret: saved, source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = newSecret();
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // in case it existed (empty) with a wider mode
  return { secret, source: 'generated' };
}

/** The private key of webhook secrets: kept in `<dataDir>/secret-key`, so secrets survive a restart. */
async function resolveSecretKey(file: string): Promise<string> {
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (saved !== '') return saved;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = newSecretKeyPair().privateKey;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** An endpoint someone else runs: nothing to start or stop. */
async function external(endpoint: string): Promise<RunningEmulator> {
  return { endpoint: endpoint.replace(/\/+$/, ''), stop: async () => undefined };
}

/** Reports the first part that ends on its own (once). */
function watchForFailure(parts: RunningEmulator[], onFailure: ((reason: string) => void) | undefined): void {
  if (!onFailure) return;
  const endings = parts.flatMap((part) => (part.ended ? [part.ended] : []));
  if (endings.length > 0) void Promise.race(endings).then(onFailure);
}

/** Starts the whole local stack; resolves once the API answers. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.brook');
  await mkdir(dataDir, { recursive: true });

  const started: RunningEmulator[] = [];
  // Stops in reverse order of start: the API first, then the emulators.
  const stopAll = async () => {
    let failure: unknown;
    for (const part of started.splice(0).reverse()) {
      await part.stop().catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  };

  try {
    // An endpoint given is used as it is; otherwise the stack starts its own emulator, kept under dataDir.
    const [dynamo, s3] = await Promise.allSettled([
      options.dynamoDbEndpoint ? external(options.dynamoDbEndpoint) : startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') }),
      options.s3Endpoint ? external(options.s3Endpoint) : startS3Emulator({ directory: join(dataDir, 's3') }),
    ]);
    if (dynamo.status === 'fulfilled') started.push(dynamo.value);
    if (s3.status === 'fulfilled') started.push(s3.value);
    if (dynamo.status === 'rejected') throw dynamo.reason;
    if (s3.status === 'rejected') throw s3.reason;
    watchForFailure(started, options.onFailure);

    const config = localConfig({
      prefix: LOCAL_PREFIX,
      dynamoDbEndpoint: dynamo.value.endpoint,
      s3Endpoint: s3.value.endpoint,
      ...(options.inlineBatchMaxBytes !== undefined ? { inlineBatchMaxBytes: options.inlineBatchMaxBytes } : {}),
      compactMinAgeMs: options.compactMinAgeMs ?? LOCAL_COMPACT_MIN_AGE_MS,
      ...(options.keyCacheTtlMs !== undefined ? { keyCacheTtlMs: options.keyCacheTtlMs } : {}),
      ...(options.subscriptionBackoffMs !== undefined ? { subscriptionBackoffMs: options.subscriptionBackoffMs } : {}),
      ...(options.localLambdas ? { localLambdas: options.localLambdas } : {}),
      secretKey: await resolveSecretKey(join(dataDir, 'secret-key')),
    });
    await Promise.all([ensureTables(config), ensureBucket(config)]);
    applyHandlerEnvironment(config);

    const adminKeyFile = join(dataDir, 'admin-key');
    const adminKey = await resolveAdminKey(options.apiKey, adminKeyFile);
    const wiring = brookWiring(config);
    try {
      await apiKeyStore(wiring).ensureAdminKey(adminKey.secret);
    } finally {
      wiring.doc.destroy();
    }

    const server = await startLocalServer({
      config,
      port: options.port ?? 8080,
      host: options.host ?? '127.0.0.1',
      ...(options.onResponse ? { onResponse: options.onResponse } : {}),
      ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
    });
    started.push({ endpoint: server.url, stop: () => server.close() });

    // Subscriptions deliver at each append, as the stream triggers the dispatcher in AWS.
    started.push(startLocalDispatch({ sweepIntervalMs: options.subscriptionSweepIntervalMs ?? 10_000 }));

    // The compactor runs on a timer, as the cloud schedule runs it, through the same handler.
    const compactIntervalMs = options.compactIntervalMs ?? LOCAL_COMPACT_INTERVAL_MS;
    if (compactIntervalMs > 0) started.push(startCompactorTimer(compactIntervalMs));

    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      adminKey: adminKey.secret,
      adminKeySource: adminKey.source,
      adminKeyFile,
      dataDir,
      config,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port ?? 8080} on ${options.host ?? '127.0.0.1'} is already in use: ` +
          'stop what uses it or choose another with BROOK_PORT',
        { cause: error },
      );
    }
    throw error;
  }
}

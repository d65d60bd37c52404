/**
 * `npm start`: the local stack on http://127.0.0.1:8080, data under ./.brook.
 *
 *   BROOK_PORT               port of the API (default 8080)
 *   BROOK_DATA_DIR           data folder (default .brook); a restart keeps everything
 *   BROOK_API_KEY            registered as an admin key; otherwise one is generated
 *                            once, printed, and saved to <data dir>/admin-key
 *   BROOK_DYNAMODB_ENDPOINT  a DynamoDB (Local) already running: start none
 *   BROOK_S3_ENDPOINT        an S3 emulator already running: start none
 *   BROOK_SUBSCRIPTION_BACKOFF_MS  first retry delay of subscriptions (default 1000)
 *   BROOK_LOCAL_LAMBDAS      Lambda targets run here: {"<function ARN>": "<module>#<export>"}
 *
 * Ctrl-C (SIGINT) or SIGTERM stops the API and both emulators, then exits 0.
 * If an emulator ends on its own (a signal to Java or its watchdog), the
 * whole stack stops and exits 1. `npm start` runs this file with
 * `exec node --import tsx`, so npm's own signals reach this process.
 * The work is in `startLocalStack` (./stack.ts); this file only wires the
 * environment, the banner and the signals.
 */
import { relative } from 'node:path';
import { FUNCTION_NAMES } from '../functions/layout/routes.js';
import { importHandler } from './server.js';
import { startLocalStack, type LocalStack } from './stack.js';

function portFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`BROOK_PORT must be a port number (0-65535), got "${raw}"`);
    process.exit(2);
  }
  return port;
}

function inlineBatchOption(raw: string | undefined): { inlineBatchMaxBytes?: number } {
  if (raw === undefined || raw === '') return {};
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes < 0) {
    console.error(`BROOK_INLINE_BATCH_MAX_BYTES must be a byte count, got "${raw}"`);
    process.exit(2);
  }
  return { inlineBatchMaxBytes: bytes };
}

function localLambdasOption(raw: string | undefined): { localLambdas?: Record<string, string> } {
  if (raw === undefined || raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string')) {
      return { localLambdas: parsed as Record<string, string> };
    }
  } catch {
    // reported below
  }
  console.error(`BROOK_LOCAL_LAMBDAS must be a JSON object of function ARN to "<module path>#<export>", got "${raw}"`);
  process.exit(2);
}

function msOption(option: 'compactIntervalMs' | 'compactMinAgeMs' | 'subscriptionBackoffMs', variable: string): Record<string, number> {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    console.error(`${variable} must be a number of milliseconds, got "${raw}"`);
    process.exit(2);
  }
  return { [option]: ms };
}

function endpointOption(option: 'dynamoDbEndpoint' | 's3Endpoint', variable: string): Record<string, string> {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return {};
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    console.error(`${variable} must be an http(s) url such as http://127.0.0.1:8000, got "${raw}"`);
    process.exit(2);
  }
  return { [option]: raw };
}

/**
 * Loads every handler now, as warm Lambdas would be: the first requests do
 * not wait for compiling. (The TypeScript loader's compiler helper, an
 * esbuild process, may run under this one for a while; it ends with it.)
 */
async function warmUp(): Promise<void> {
  await Promise.all([...FUNCTION_NAMES.map((name) => importHandler(name)), import('../functions/handlers/compactor.js'), import('../functions/handlers/dispatcher.js')]);
}


function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

async function main(): Promise<void> {
  // The SDK's notice that its 2027 releases need Node 22 says nothing about this stack.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stack: LocalStack | undefined;
  let signalled = false;
  let firstSignalAt = 0;
  let exitCode = 0;
  const shutdown = (signal: NodeJS.Signals | 'failure') => {
    if (signalled) {
      // Under `npm start`, one Ctrl-C arrives twice: from the terminal and relayed by npm.
      if (Date.now() - firstSignalAt < 1_000 || signal === 'failure') return;
      console.error(`${signal} again: exiting now`);
      process.exit(1); // Java is still killed by the emulator's exit hook
    }
    signalled = true;
    firstSignalAt = Date.now();
    if (!stack) return; // still starting: stopped as soon as it is up
    if (signal !== 'failure') console.log(`\n${signal}: stopping the local stack...`);
    stack.stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        console.error('error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const apiKey = process.env.BROOK_API_KEY;
  try {
    stack = await startLocalStack({
      port: portFrom(process.env.BROOK_PORT),
      dataDir: process.env.BROOK_DATA_DIR || '.brook',
      ...(apiKey ? { apiKey } : {}),
      ...inlineBatchOption(process.env.BROOK_INLINE_BATCH_MAX_BYTES),
      ...msOption('compactIntervalMs', 'BROOK_COMPACT_INTERVAL_MS'),
      ...msOption('compactMinAgeMs', 'BROOK_COMPACT_MIN_AGE_MS'),
      ...msOption('subscriptionBackoffMs', 'BROOK_SUBSCRIPTION_BACKOFF_MS'),
      ...localLambdasOption(process.env.BROOK_LOCAL_LAMBDAS),
      ...endpointOption('dynamoDbEndpoint', 'BROOK_DYNAMODB_ENDPOINT'),
      ...endpointOption('s3Endpoint', 'BROOK_S3_ENDPOINT'),
      onFailure: (reason) => {
        if (signalled) return;
        console.error(`${reason}: stopping the local stack`);
        exitCode = 1;
        shutdown('failure');
      },
      onResponse: ({ method, path, status, ms }) => console.log(`${method} ${path} -> ${status} (${ms} ms)`),
    });
  } catch (error) {
    console.error(`brook: the local stack did not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  if (signalled) {
    await stack.stop();
    process.exit(exitCode);
  }
  await warmUp();

  const keyLine =
    stack.adminKeySource === 'option'
      ? 'admin key: the one in BROOK_API_KEY'
      : stack.adminKeySource === 'generated'
        ? `admin key: ${stack.adminKey}\n           (new; shown once, saved to ${display(stack.adminKeyFile)})`
        : `admin key: in ${display(stack.adminKeyFile)}`;
  console.log(
    [
      '',
      `Brook local stack on ${stack.url}  (health: ${stack.url}/v1/health)`,
      `console:   ${stack.url}/console  (paste the admin key)`,
      `data:      ${display(stack.dataDir)}  (DynamoDB Local and s3rver; kept across restarts)`,
      keyLine,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

await main();

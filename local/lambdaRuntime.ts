/**
 * The local Lambda runtime: a `Context` per invocation, the handler modules
 * (`functions/handlers/<name>.ts`, imported once per process like a warm
 * Lambda) and the environment a deployment would give them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { configToEnv, type BrookConfig } from '../functions/config.js';
import type { FunctionName } from '../functions/layout/routes.js';
import { S3_EMULATOR_CREDENTIALS } from '../functions/storage/s3Client.js';
import { ACCOUNT_ID } from './apiGatewayEvent.js';

export type LambdaResult = APIGatewayProxyStructuredResultV2 | string | Record<string, unknown> | null | undefined;
export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<LambdaResult> | LambdaResult;
export type HandlerLoader = (name: FunctionName) => Promise<LambdaHandler>;

/** A Lambda `Context` for one invocation, with `timeoutMs` to run. */
export function createLambdaContext(functionName: FunctionName, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const name = `brook-local-${functionName}`;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the local server: return a result instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

const HANDLERS_DIR = fileURLToPath(new URL('../functions/handlers/', import.meta.url));

/** The path of a function's Lambda entry. */
export function handlerPath(name: FunctionName): string {
  return `${HANDLERS_DIR}${name}.ts`;
}

/** Handler modules are imported once per process (a warm Lambda), after the environment is set. */
const loadedHandlers = new Map<FunctionName, Promise<LambdaHandler>>();
let handlerEnvironment: string | undefined;

/** Imports `functions/handlers/<name>.ts` once and returns its `handler` export. */
export const importHandler: HandlerLoader = (name) => {
  let loading = loadedHandlers.get(name);
  if (!loading) {
    loading = import(/* @vite-ignore */ handlerPath(name)).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') {
        throw new Error(`${handlerPath(name)} does not export a function named "handler"`);
      }
      return module.handler as LambdaHandler;
    });
    // A failed import is not kept: the file may be fixed while the server runs.
    loading.catch(() => loadedHandlers.delete(name));
    loadedHandlers.set(name, loading);
  }
  return loading;
};

/**
 * Sets what a deployment's Lambda environment would hold: the config
 * variables, and (with an S3 endpoint) the emulator's credentials, so that no
 * SDK client in this process can reach a real AWS account with a developer's
 * own credentials.
 */
export function applyHandlerEnvironment(config: BrookConfig): void {
  const env: Record<string, string> = { ...configToEnv(config) };
  if (config.s3Endpoint) {
    env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  }
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true';
  const signature = JSON.stringify(configToEnv(config));
  if (loadedHandlers.size > 0 && handlerEnvironment !== undefined && handlerEnvironment !== signature) {
    throw new Error(
      'the handlers in this process were already loaded with another configuration ' +
        '(handlers read it once, at cold start): run one local server configuration per process',
    );
  }
  handlerEnvironment = signature;
  Object.assign(process.env, env);
}

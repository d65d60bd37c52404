/**
 * Delivery to a Lambda function, invoked synchronously (`RequestResponse`)
 * with the batch as its event, as an event source mapping would. In AWS
 * through the Lambda API; on the local stack, a function ARN mapped in
 * `BROOK_LOCAL_LAMBDAS` runs in this process from its module, so a user
 * tests the handler they deploy.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { readAnswer, type DeliveryOutcome } from './deliveryAnswer.js';

export interface LambdaDelivery {
  functionArn: string;
  body: string;
  offsets: readonly number[];
  signal: AbortSignal;
}

export type LambdaInvoker = (delivery: LambdaDelivery) => Promise<DeliveryOutcome>;

/** Keeps a function error's message short: the type and message, never a stack. */
function describeFunctionError(kind: string, payload: string): string {
  try {
    const { errorType, errorMessage } = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    return `the function failed (${kind}): ${[errorType, errorMessage].filter(Boolean).join(': ')}`.slice(0, 500);
  } catch {
    return `the function failed (${kind})`;
  }
}

/** Invokes through the Lambda API (AWS). */
export function awsLambdaInvoker(region: string): LambdaInvoker {
  let lambda: LambdaClient | undefined; // made at first use: a dispatcher with only webhooks never needs it
  return async ({ functionArn, body, offsets, signal }) => {
    lambda ??= new LambdaClient({ region });
    try {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: Buffer.from(body, 'utf8') }),
        { abortSignal: signal },
      );
      const payload = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
      if (result.FunctionError) return { kind: 'failed', error: describeFunctionError(result.FunctionError, payload) };
      return readAnswer(payload, offsets);
    } catch (error) {
      if (signal.aborted) return { kind: 'failed', error: 'the function did not answer within 30 s' };
      const { name, message } = error as Error;
      return { kind: 'failed', error: `the function could not be invoked: ${name}: ${message}`.slice(0, 500) };
    }
  };
}

type LocalHandler = (event: unknown, context: Record<string, unknown>) => unknown;

/**
 * Runs mapped functions in this process (local stack): `"<module path>#<export>"`,
 * the path relative to the working directory, the export `handler` if left out.
 */
export function localLambdaInvoker(mapping: Readonly<Record<string, string>>): LambdaInvoker {
  const loaded = new Map<string, Promise<LocalHandler>>();
  const load = (functionArn: string): Promise<LocalHandler> => {
    let handler = loaded.get(functionArn);
    if (!handler) {
      const entry = mapping[functionArn];
      if (entry === undefined) return Promise.reject(new Error(`${functionArn} is not mapped in BROOK_LOCAL_LAMBDAS`));
      const [path, exportName = 'handler'] = entry.split('#');
      handler = import(/* @vite-ignore */ pathToFileURL(resolve(path!)).href).then((module: Record<string, unknown>) => {
        const found = module[exportName];
        if (typeof found !== 'function') throw new Error(`${path} has no function export "${exportName}"`);
        return found as LocalHandler;
      });
      handler.catch(() => loaded.delete(functionArn));
      loaded.set(functionArn, handler);
    }
    return handler;
  };
  return async ({ functionArn, body, offsets, signal }) => {
    try {
      const handler = await load(functionArn);
      const name = functionArn.split(':')[6] ?? functionArn;
      const context = { functionName: name, invokedFunctionArn: functionArn, getRemainingTimeInMillis: () => 30_000 };
      const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true }));
      const result = await Promise.race([Promise.resolve(handler(JSON.parse(body), context)), aborted]);
      return readAnswer(result === undefined ? '' : JSON.stringify(result), offsets);
    } catch (error) {
      if (signal.aborted) return { kind: 'failed', error: 'the function did not answer within 30 s' };
      const { name, message } = error as Error;
      return { kind: 'failed', error: `the function failed (Unhandled): ${name}: ${message}`.slice(0, 500) };
    }
  };
}

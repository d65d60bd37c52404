import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The small logging surface the core depends on, so that tests and the local
 * stack can pass their own. In Lambda it is Powertools' JSON logger.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  /** Starts a request: drops the previous request's keys, then adds these (and the Lambda context) to every line. */
  startRequest?(keys: Record<string, string | number | undefined>, context?: Context): void;
}

let shared: Logger | undefined;

/**
 * A new Powertools JSON logger with keys of its own (`POWERTOOLS_LOG_LEVEL`
 * sets the level). Keys added by one logger's `startRequest` never show on
 * another's lines, which matters where several handlers share a process (the
 * local stack runs the HTTP handlers and the compactor in one).
 */
export function createLogger(): Logger {
  const logger = new PowertoolsLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'brook' });
  return {
    debug: (message, extra = {}) => logger.debug(message, extra),
    info: (message, extra = {}) => logger.info(message, extra),
    warn: (message, extra = {}) => logger.warn(message, extra),
    error: (message, extra = {}) => logger.error(message, extra),
    startRequest(keys, context) {
      logger.resetKeys();
      // function_request_id, function_name, cold_start: only a real Lambda context has them.
      if (context?.awsRequestId) logger.addContext(context);
      logger.appendKeys(Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined)));
    },
  };
}

/** The HTTP handlers' logger: one per cold start, shared by the handlers of a process. */
export function defaultLogger(): Logger {
  shared ??= createLogger();
  return shared;
}

/** A logger that drops everything; for tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

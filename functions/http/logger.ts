import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * The small logging surface the core depends on, so that tests and the local
 * stack can pass their own. In Lambda it is Powertools' JSON logger.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

let shared: Logger | undefined;

/** One Powertools logger per cold start (`POWERTOOLS_LOG_LEVEL` sets the level). */
export function defaultLogger(): Logger {
  if (!shared) {
    const logger = new PowertoolsLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'brook' });
    shared = {
      debug: (message, extra = {}) => logger.debug(message, extra),
      info: (message, extra = {}) => logger.info(message, extra),
      warn: (message, extra = {}) => logger.warn(message, extra),
      error: (message, extra = {}) => logger.error(message, extra),
    };
  }
  return shared;
}

/** A logger that drops everything; for tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What the consumer's parts share: the transport, the group, the options and
 * subscription, whether the consumer runs, and where it reports (the app's
 * `logger`, else the console: the only place the consumer writes to it).
 */
import { BrookError } from '../../protocol/errors.js';
import { segment, type HttpTransport } from '../http.js';
import { isRetriable, type RetryOptions } from '../retry.js';
import type { ConsumerLogger, ConsumerOptions } from './types.js';

const consoleLogger: ConsumerLogger = {
  error: (message, error) =>
    error instanceof BrookError ? console.error(`${message}: ${error.code}: ${error.message}`) : console.error(`${message}:`, error),
};

export class ConsumerContext {
  readonly http: HttpTransport;
  readonly options: ConsumerOptions;
  readonly retry: RetryOptions;
  /** The group id as a path segment. */
  readonly group: string;
  readonly autoCommit: boolean;
  /** What `subscribe` gathered; fixed once the consumer runs. */
  readonly subscription: { topics: string[]; fromBeginning: boolean } = { topics: [], fromBeginning: false };
  /** From `run` until `disconnect` or a crash. */
  running = false;

  constructor(http: HttpTransport, options: ConsumerOptions) {
    this.http = http;
    this.options = options;
    this.retry = options.retry ?? {};
    this.group = segment(options.groupId);
    this.autoCommit = options.autoCommit ?? true;
  }

  /** Hands `message` and `error` to the app's logger. */
  log(message: string, error: unknown): void {
    (this.options.logger ?? consoleLogger).error(message, error);
  }

  /** Reports something the consumer recovers from by itself: `brook consumer <groupId>: <what>`. */
  report(what: string, error: unknown): void {
    this.log(`brook consumer ${this.options.groupId}: ${what}`, error);
  }
}

/** An error no retry fixes: any the contract marks not retriable but a server's INTERNAL (a bug that may pass). */
export function isFatal(error: unknown): boolean {
  return !isRetriable(error) && !(error instanceof BrookError && error.code === 'INTERNAL');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

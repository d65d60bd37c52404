import { EventEmitter } from 'node:events';

/**
 * Wakes long-polling fetches in the same process when a batch is committed.
 * In Lambda each function runs apart, so a fetch there relies on polling; in
 * the local stack produce and fetch share a process and wake at once.
 */
export class AppendNotifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(partitionKey: string, highWatermark: number): void {
    this.emitter.emit(partitionKey, highWatermark);
  }

  /** Resolves at the first append to any of `partitionKeys`, or when `signal` aborts. */
  waitForAny(partitionKeys: readonly string[], signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        for (const key of partitionKeys) this.emitter.off(key, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (signal.aborted) return resolve();
      for (const key of partitionKeys) this.emitter.on(key, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** One notifier per process: every handler module loaded in it shares it. */
export const processAppendNotifier = new AppendNotifier();

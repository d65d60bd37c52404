import { EventEmitter } from 'node:events';

/** The channel of every append; partition keys (`<topicId>#<n>`) never look like it. */
const EVERY_APPEND = Symbol('every append');

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
    this.emitter.emit(EVERY_APPEND, partitionKey, highWatermark);
  }

  /** Calls `listener` at every append (the local stack's stand-in for the log table's stream); answers how to stop. */
  onEveryAppend(listener: (partitionKey: string, highWatermark: number) => void): () => void {
    this.emitter.on(EVERY_APPEND, listener);
    return () => this.emitter.off(EVERY_APPEND, listener);
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

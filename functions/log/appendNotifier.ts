import { EventEmitter } from 'node:events';

/** The channel of every append; partition keys (`<topicId>#<n>`) never look like it. */
const EVERY_APPEND = Symbol('every append');

/** An append as the notifier tells it: which partition, and its high watermark once committed. */
export interface Appended {
  partitionKey: string;
  highWatermark: number;
}

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

  /**
   * Resolves at the first append to any of `partitionKeys`, with the partition
   * and the high watermark that append committed; with undefined when
   * `signal` aborts first.
   */
  waitForAny(partitionKeys: readonly string[], signal: AbortSignal): Promise<Appended | undefined> {
    return new Promise((resolve) => {
      const listeners = new Map<string, (highWatermark: number) => void>();
      const done = (appended?: Appended): void => {
        for (const [key, listener] of listeners) this.emitter.off(key, listener);
        signal.removeEventListener('abort', aborted);
        resolve(appended);
      };
      const aborted = (): void => done();
      if (signal.aborted) return resolve(undefined);
      for (const partitionKey of partitionKeys) {
        const listener = (highWatermark: number) => done({ partitionKey, highWatermark });
        listeners.set(partitionKey, listener);
        this.emitter.on(partitionKey, listener);
      }
      signal.addEventListener('abort', aborted, { once: true });
    });
  }
}

/** One notifier per process: every handler module loaded in it shares it. */
export const processAppendNotifier = new AppendNotifier();

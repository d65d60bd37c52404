import { EventEmitter } from 'node:events';

/**
 * Announces, in this process, that a subscription's settings item was
 * written (created, altered, reset). In AWS the subscriptions table's stream
 * carries the same news to the dispatcher; the local stack, which has no
 * stream, listens here instead.
 */
export class SubscriptionChanges {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  changed(name: string): void {
    this.emitter.emit('changed', name);
  }

  /** Calls `listener` at each change; answers how to stop. */
  onChange(listener: (name: string) => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}

/** One per process: the routes' store and the local stack's dispatch share it. */
export const processSubscriptionChanges = new SubscriptionChanges();

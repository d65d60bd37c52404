/**
 * Subscriptions on the local stack: the dispatcher handler (the same code
 * the cloud runs) is invoked at every append and every change of a
 * subscription's settings, the way the tables' streams invoke it in AWS,
 * and swept on a timer, which also picks up retries whose wake-up timers
 * died with a previous run of the stack.
 */
import { processAppendNotifier } from '../functions/log/appendNotifier.js';
import { HEAD_SORT_KEY } from '../functions/layout/tables.js';
import { processSubscriptionChanges } from '../functions/subscriptions/subscriptionChanges.js';
import { CONFIG_SORT_KEY } from '../functions/subscriptions/subscriptionItems.js';
import { untraced } from '../functions/storage/requestMeter.js';
import type { RunningEmulator } from './emulator.js';

/** How often the local stack sweeps every subscription. */
export const LOCAL_SWEEP_INTERVAL_MS = 10_000;
/** How long stopping waits for deliveries under way; a delivery cut off is delivered again later (its lease expires). */
const STOP_GRACE_MS = 2_000;

type DispatcherModule = typeof import('../functions/handlers/dispatcher.js');

/**
 * A stream event as DynamoDB Streams would send it: the partitions whose
 * HEAD moved (log table) and the subscriptions whose settings item was
 * written (subscriptions table).
 */
export function changeEvent(partitionKeys: Iterable<string>, subscriptions: Iterable<string> = []): { Records: unknown[] } {
  return {
    Records: [
      ...[...partitionKeys].map((pk) => ({ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: pk }, sk: { N: String(HEAD_SORT_KEY) } } } })),
      ...[...subscriptions].map((name) => ({ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: name }, sk: { S: CONFIG_SORT_KEY } } } })),
    ],
  };
}

/** Starts local delivery; appends made in this process within one tick share one dispatcher run. */
export function startLocalDispatch(options: { sweepIntervalMs?: number; onError?: (error: unknown) => void } = {}): RunningEmulator {
  const onError = options.onError ?? ((error: unknown) => console.error('subscription dispatch failed:', error instanceof Error ? error.message : error));
  const loading: Promise<DispatcherModule> = import('../functions/handlers/dispatcher.js');
  const running = new Set<Promise<unknown>>();
  let pending = new Set<string>();
  let pendingSubscriptions = new Set<string>();
  let stopped = false;

  const invoke = (event?: unknown) => {
    if (stopped) return;
    // Started by an append, but not part of that request: its storage calls are not the request's.
    const run = untraced(() => loading.then(({ handler }) => handler(event)).catch(onError));
    running.add(run);
    void run.finally(() => running.delete(run));
  };

  // What arrives within one tick goes in one event, as a stream batch gathers records.
  const flushSoon = () => {
    if (pending.size + pendingSubscriptions.size > 0) return;
    untraced(() =>
      setImmediate(() => {
        const event = changeEvent(pending, pendingSubscriptions);
        pending = new Set();
        pendingSubscriptions = new Set();
        invoke(event);
      }),
    );
  };
  const stopAppends = processAppendNotifier.onEveryAppend((partitionKey) => {
    flushSoon();
    pending.add(partitionKey);
  });
  const stopChanges = processSubscriptionChanges.onChange((name) => {
    flushSoon();
    pendingSubscriptions.add(name);
  });
  const unsubscribe = () => {
    stopAppends();
    stopChanges();
  };

  const interval = options.sweepIntervalMs ?? LOCAL_SWEEP_INTERVAL_MS;
  const timer = interval > 0 ? setInterval(() => invoke(), interval) : undefined;
  timer?.unref();
  if (interval > 0) invoke(); // what was due when the stack last stopped

  return {
    endpoint: 'dispatcher',
    stop: async () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      await loading.then(({ shutdown }) => shutdown()).catch(() => undefined);
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    },
  };
}

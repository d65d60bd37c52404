import type { Context } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { createLogger } from '../http/logger.js';
import { dispatchTrigger } from '../subscriptions/dispatchEvents.js';
import type { DispatchReport } from '../subscriptions/Dispatcher.js';
import { subscriptionMetrics } from '../subscriptions/subscriptionMetrics.js';
import { brookWiring, createDispatcher } from '../wiring.js';

// A logger of its own: in the local stack the HTTP handlers share the process.
const logger = createLogger();
const perSubscription = subscriptionMetrics();
const dispatcher = createDispatcher(brookWiring(loadConfig()), { logger, metrics: perSubscription.add });

/**
 * The subscription dispatcher. Invoked by the log table's stream with the
 * partitions whose HEAD moved (appends), by its own wake-ups (a retry or a
 * batching window that is due), and by the daily sweep (docs/subscriptions.md).
 */
/** Stops the wake-up timers of this process (the local stack; in Lambda wake-ups are Step Functions executions). */
export function shutdown(): void {
  dispatcher.stop();
}

export async function handler(event?: unknown, context?: Context): Promise<DispatchReport> {
  const trigger = dispatchTrigger(event);
  logger.startRequest?.({ trigger: trigger.kind }, context);
  try {
    const report = await dispatcher.dispatch(trigger, context?.getRemainingTimeInMillis?.());
    if (report.failed + report.parked + report.dropped > 0) logger.info('dispatch run', { ...report });
    return report;
  } finally {
    perSubscription.flush();
  }
}

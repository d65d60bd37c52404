/**
 * The dispatcher's per-subscription metrics: gathered over one run (counts
 * summed; lag and iterator age kept at their largest) and written at the end
 * of the run as one EMF line per subscription with a `Subscription`
 * dimension, so a busy run costs a few log lines, not one per batch.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { metricsEnabled } from '../http/metrics.js';
import { BROOK_METRICS, BROOK_METRICS_NAMESPACE, SUBSCRIPTION_DIMENSION } from '../layout/metrics.js';

/** Per-subscription numbers the dispatcher reports (CloudWatch metrics with a `Subscription` dimension in AWS). */
export type SubscriptionMetricName =
  | 'subscriptionDeliveries'
  | 'subscriptionFailures'
  | 'subscriptionParked'
  | 'subscriptionDropped'
  | 'subscriptionLag'
  | 'subscriptionIteratorAge';

export type SubscriptionMetrics = (subscription: string, metric: SubscriptionMetricName, value: number) => void;

const LARGEST: ReadonlySet<SubscriptionMetricName> = new Set(['subscriptionLag', 'subscriptionIteratorAge']);

export interface SubscriptionMetricsBuffer {
  add: SubscriptionMetrics;
  /** Writes what was gathered since the last flush, and clears it. */
  flush(): void;
}

/** Gathers per-subscription values; `write` receives each EMF line (stdout by default, nothing where metrics are off). */
export function subscriptionMetrics(options: { write?: (line: string) => void; enabled?: boolean } = {}): SubscriptionMetricsBuffer {
  const enabled = options.enabled ?? metricsEnabled();
  const gathered = new Map<string, Map<SubscriptionMetricName, number>>();
  return {
    add(subscription, metric, value) {
      if (!enabled || !Number.isFinite(value) || value < 0) return;
      const values = gathered.get(subscription) ?? new Map<SubscriptionMetricName, number>();
      const before = values.get(metric);
      values.set(metric, before === undefined ? value : LARGEST.has(metric) ? Math.max(before, value) : before + value);
      gathered.set(subscription, values);
    },
    flush() {
      for (const [subscription, values] of gathered) {
        const metrics = new Metrics({ namespace: BROOK_METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'brook' });
        metrics.addDimension(SUBSCRIPTION_DIMENSION, subscription);
        for (const [metric, value] of values) metrics.addMetric(BROOK_METRICS[metric].name, BROOK_METRICS[metric].unit, value);
        if (options.write) {
          options.write(JSON.stringify(metrics.serializeMetrics()));
          metrics.clearMetrics();
        } else {
          metrics.publishStoredMetrics();
        }
      }
      gathered.clear();
    },
  };
}

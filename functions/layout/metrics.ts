/**
 * Every metric the handlers emit, as plain data: the handlers add to them
 * (functions/http/metrics.ts), the CDK stack's alarms and dashboard read
 * them. Runtime-free (units are CloudWatch's unit names), so the CDK app can
 * import it without loading Powertools.
 */

/** The CloudWatch namespace of every Brook metric. */
export const BROOK_METRICS_NAMESPACE = 'Brook';

/**
 * Every metric the handlers emit (CloudWatch embedded metric format), as a
 * table in the manner of kafkajs' instrumentation events. Every metric has
 * the dimension `service` (`POWERTOOLS_SERVICE_NAME`, one per deployment);
 * the subscription metrics, marked `dimension`, also have `Subscription`
 * (`SUBSCRIPTION_DIMENSION`, the subscription's name), and no metric has
 * another: per-topic or per-partition dimensions would make a custom metric
 * per value, which is where CloudWatch's cost is. Topic and partition are in
 * the logs instead.
 */
export const BROOK_METRICS = {
  /** Records appended by `POST /v1/topics/{topic}/records`. */
  producedRecords: { name: 'ProducedRecords', unit: 'Count' },
  /** Request body bytes of accepted produce requests (JSON or binary batch, as sent). */
  producedBytes: { name: 'ProducedBytes', unit: 'Bytes' },
  /** Records returned by fetches (one partition or many). */
  fetchedRecords: { name: 'FetchedRecords', unit: 'Count' },
  /** Key and value characters of the records returned (as encoded in the response). */
  fetchedBytes: { name: 'FetchedBytes', unit: 'Bytes' },
  /** Accepted offset commits (requests). */
  commits: { name: 'Commits', unit: 'Count' },
  /** Committed transactions (POST /v1/transactions answered 200). */
  transactions: { name: 'Transactions', unit: 'Count' },
  /** Membership changes that start a rebalance: joins and leaves. */
  rebalances: { name: 'Rebalances', unit: 'Count' },
  /** Finished compactor runs, triggered by appends or by the schedule. */
  compactorRuns: { name: 'CompactorRuns', unit: 'Count' },
  /** Scheduled sweeps that finished every partition: the heartbeat the compactor-lag alarm watches. */
  compactorSweeps: { name: 'CompactorSweeps', unit: 'Count' },
  /** Partitions (or deleted topics) whose compaction pass failed and waits for a later run. */
  compactorFailures: { name: 'CompactorFailures', unit: 'Count' },
  /** Batches the compactor rolled into segments. */
  compactorBatchesRolled: { name: 'CompactorBatchesRolled', unit: 'Count' },
  /** How long a compactor run took. */
  compactorDuration: { name: 'CompactorDuration', unit: 'Milliseconds' },
  // Per subscription (dimension `Subscription`, see SUBSCRIPTION_DIMENSION): one custom metric per subscription and name.
  /** Records delivered (the target took them). */
  subscriptionDeliveries: { name: 'SubscriptionDeliveries', unit: 'Count', dimension: 'Subscription' },
  /** Failed tries of a batch (an error answer, a timeout, a function error, a partial failure). */
  subscriptionFailures: { name: 'SubscriptionFailures', unit: 'Count', dimension: 'Subscription' },
  /** Records parked on the `onFailure` topic after their retries. */
  subscriptionParked: { name: 'SubscriptionParked', unit: 'Count', dimension: 'Subscription' },
  /** Records skipped after their retries, without an `onFailure` topic. */
  subscriptionDropped: { name: 'SubscriptionDropped', unit: 'Count', dimension: 'Subscription' },
  /** Records not yet delivered (high watermark minus position), the largest partition's, at the last look. */
  subscriptionLag: { name: 'SubscriptionLag', unit: 'Count', dimension: 'Subscription' },
  /** Age of the oldest record delivered or waiting (like Kinesis' IteratorAge): how far behind delivery is. */
  subscriptionIteratorAge: { name: 'SubscriptionIteratorAge', unit: 'Milliseconds', dimension: 'Subscription' },
} as const satisfies Record<string, { name: string; unit: 'Count' | 'Bytes' | 'Milliseconds'; dimension?: typeof SUBSCRIPTION_DIMENSION }>;

export type BrookMetricName = keyof typeof BROOK_METRICS;

/**
 * The one extra dimension, on the subscription metrics only: a subscription
 * is few and long-lived (unlike a topic partition or a group member), and
 * its lag and failures are what an alarm must tell apart.
 */
export const SUBSCRIPTION_DIMENSION = 'Subscription';

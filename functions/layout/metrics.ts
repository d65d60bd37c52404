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
 * table in the manner of kafkajs' instrumentation events. The only dimension
 * is `service` (`POWERTOOLS_SERVICE_NAME`, one per deployment): per-topic or
 * per-partition dimensions would make a custom metric per value, which is
 * where CloudWatch's cost is. Topic and partition are in the logs instead.
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
} as const satisfies Record<string, { name: string; unit: 'Count' | 'Bytes' | 'Milliseconds' }>;

export type BrookMetricName = keyof typeof BROOK_METRICS;

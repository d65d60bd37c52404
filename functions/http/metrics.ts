import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { BrookInternal } from './middleware.js';
import type { HttpResponse } from './response.js';

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
  producedRecords: { name: 'ProducedRecords', unit: MetricUnit.Count },
  /** Request body bytes of accepted produce requests (JSON or binary batch, as sent). */
  producedBytes: { name: 'ProducedBytes', unit: MetricUnit.Bytes },
  /** Records returned by fetches (one partition or many). */
  fetchedRecords: { name: 'FetchedRecords', unit: MetricUnit.Count },
  /** Key and value characters of the records returned (as encoded in the response). */
  fetchedBytes: { name: 'FetchedBytes', unit: MetricUnit.Bytes },
  /** Accepted offset commits (requests). */
  commits: { name: 'Commits', unit: MetricUnit.Count },
  /** Membership changes that start a rebalance: joins and leaves. */
  rebalances: { name: 'Rebalances', unit: MetricUnit.Count },
  /** Finished compactor runs, triggered by appends or by the schedule. */
  compactorRuns: { name: 'CompactorRuns', unit: MetricUnit.Count },
  /** Scheduled sweeps that finished every partition: the heartbeat the compactor-lag alarm watches. */
  compactorSweeps: { name: 'CompactorSweeps', unit: MetricUnit.Count },
  /** Partitions (or deleted topics) whose compaction pass failed and waits for a later run. */
  compactorFailures: { name: 'CompactorFailures', unit: MetricUnit.Count },
  /** Batches the compactor rolled into segments. */
  compactorBatchesRolled: { name: 'CompactorBatchesRolled', unit: MetricUnit.Count },
  /** How long a compactor run took. */
  compactorDuration: { name: 'CompactorDuration', unit: MetricUnit.Milliseconds },
} as const;

export type BrookMetricName = keyof typeof BROOK_METRICS;

/** What features and routes call; a no-op where metrics are off. */
export interface BrookMetrics {
  add(metric: BrookMetricName, value: number): void;
  /** Writes what was added since the last flush (one EMF line) and clears it. */
  flush(): void;
}

const noMetrics: BrookMetrics = { add() {}, flush() {} };

type Env = Record<string, string | undefined>;

/**
 * Whether to emit: `POWERTOOLS_METRICS_DISABLED` decides when set; otherwise
 * metrics are on in Lambda only, so that tests and the local stack do not
 * print EMF lines (set `POWERTOOLS_METRICS_DISABLED=false` to see them).
 */
export function metricsEnabled(env: Env = process.env): boolean {
  const flag = env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase();
  if (flag !== undefined && flag !== '') return !['1', 'true', 'yes', 'on'].includes(flag);
  return env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_LAMBDA_FUNCTION_NAME !== '';
}

/** A `BrookMetrics` over Powertools Metrics; `write` receives each EMF line (stdout by default). */
export function powertoolsMetrics(options: { serviceName?: string; write?: (line: string) => void } = {}): BrookMetrics {
  const write = options.write;
  const metrics = new Metrics({
    namespace: BROOK_METRICS_NAMESPACE,
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'brook',
    // Its own warnings ("no metrics to publish") would be one log line per quiet request.
    logger: { debug() {}, info() {}, warn: (...args: unknown[]) => console.warn(...args), error: (...args: unknown[]) => console.error(...args) },
  });
  return {
    add(metric, value) {
      const { name, unit } = BROOK_METRICS[metric];
      if (Number.isFinite(value) && value >= 0) metrics.addMetric(name, unit, value);
    },
    flush() {
      if (!metrics.hasStoredMetrics()) return;
      if (write) {
        write(JSON.stringify(metrics.serializeMetrics()));
        metrics.clearMetrics();
      } else {
        metrics.publishStoredMetrics();
      }
    },
  };
}

let shared: BrookMetrics | undefined;

/** One metrics buffer per process, read from the environment at first use (like `defaultLogger`). */
export function defaultMetrics(): BrookMetrics {
  shared ??= metricsEnabled() ? powertoolsMetrics() : noMetrics;
  return shared;
}

/** Adds to the process's metrics (a no-op where they are off). */
export function countMetric(metric: BrookMetricName, value: number): void {
  defaultMetrics().add(metric, value);
}

/** Flushes the metrics once per invocation, after the response or the error is made (the role of Powertools' `logMetrics`). */
export function flushMetrics(
  metrics: () => BrookMetrics = defaultMetrics,
): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context, BrookInternal> {
  const flush = (): void => metrics().flush();
  return { name: 'brookFlushMetrics', after: flush, onError: flush };
}

/** A produce request's metrics: records appended (partitions that failed count none) and the body's bytes. */
export function countProduced(results: readonly ({ offset: number } | object)[], bodyBytes: number): void {
  countMetric('producedRecords', results.filter((entry) => 'offset' in entry).length);
  countMetric('producedBytes', bodyBytes);
}

/** A fetch's metrics: records returned and their key and value characters. */
export function countFetched(partitions: readonly ({ records: readonly { key: string | null; value: string | null }[] } | object)[]): void {
  let records = 0;
  let bytes = 0;
  for (const partition of partitions) {
    if (!('records' in partition)) continue;
    records += partition.records.length;
    for (const record of partition.records) bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
  }
  countMetric('fetchedRecords', records);
  countMetric('fetchedBytes', bytes);
}

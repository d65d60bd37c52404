import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { BROOK_METRICS, BROOK_METRICS_NAMESPACE, type BrookMetricName } from '../layout/metrics.js';
import type { BrookInternal } from './middleware.js';
import type { HttpResponse } from './response.js';

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
